"""The player loop: the bars queued ahead, the loop that sends them, its inbox of changes."""
