"""Music: chord theory, the grammar's tokens, chord loops, a line into tokens, tokens into notes."""
