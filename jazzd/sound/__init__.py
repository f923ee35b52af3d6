"""Sound through FluidSynth: the WAV render and the live synth (imported only when used)."""
