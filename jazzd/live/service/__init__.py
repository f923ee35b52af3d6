"""The daemon as a process: signals, systemd's notify protocol, the status line, helpers."""
