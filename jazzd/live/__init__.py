"""Live mode: the player loop, reloads, signals, and the daemon that starts and stops them."""
