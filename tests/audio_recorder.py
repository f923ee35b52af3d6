"""A JACK recorder of audio and MIDI in its own process, for the ``--synth`` tests (JACK-Client).

    python3 tests/audio_recorder.py CLIENT OUT.npy CHANNELS

Opens the JACK client CLIENT (never starting a server) with the audio inputs
``in_1`` .. ``in_CHANNELS`` and the MIDI input ``midi_in``, prints ``ready``
and records until SIGINT or SIGTERM (the test connects the ports). Then it
writes the audio to OUT.npy as float32 of shape (frames, CHANNELS) and prints
the JACK frame time of the first sample and the number of frames on one line,
then one line per MIDI event: its JACK frame time and its bytes in hex. Audio
and MIDI share the server's frame clock (``jack_midi_dump -a`` counts from
its own start instead).
"""

from __future__ import annotations

import sys

import jack
import numpy as np
from midi_recorder import StopFlag


def main(client_name: str, out: str, channels: int) -> int:
    client = jack.Client(client_name, no_start_server=True)
    inputs = [client.inports.register(f"in_{index + 1}") for index in range(channels)]
    midi_in = client.midi_inports.register("midi_in")
    blocks: list[np.ndarray] = []
    events: list[tuple[int, bytes]] = []
    first_frame: list[int] = []

    @client.set_process_callback
    def process(frames: int) -> None:
        cycle = client.last_frame_time
        if not first_frame:
            first_frame.append(cycle)
        blocks.append(np.stack([port.get_array().copy() for port in inputs], axis=1))
        for offset, data in midi_in.incoming_midi_events():
            events.append((cycle + offset, bytes(data)))

    stop = StopFlag()
    with client:
        print("ready", flush=True)
        while not stop.wait(0.05):
            pass
        client.deactivate()
    samples = np.concatenate(blocks) if blocks else np.zeros((0, channels), np.float32)
    np.save(out, samples.astype(np.float32))
    print(first_frame[0] if first_frame else -1, len(samples))
    for frame, data in events:
        print(frame, data.hex(" "))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], int(sys.argv[3])))
