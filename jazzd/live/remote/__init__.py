"""Remote control: the OSC address space, its receiver and server, presets as changes."""
