"""A chart played live on a real JACK server, heard by an independent client: its tempo,
and ``--choruses`` stopping the daemon after the form's bars."""

from __future__ import annotations

import pytest
from chart_builders import ireal_link, ireal_tune
from jack_harness import Jazzd, Recorder, is_note_on, unique

#: A made-up form: two bars repeated (four bars a chorus), at the chart's 300 BPM.
CHART = "{T44C7XyQ|F7XyQ}"
BPM = 300
BAR_S = 4 * 60 / BPM


@pytest.mark.jack
def test_a_chart_plays_live_at_its_tempo_for_its_choruses(jack_server, notify, tmp_path):
    playlist = tmp_path / "playlist.txt"
    playlist.write_text(ireal_link(ireal_tune("Short Form", CHART, tempo=BPM),
                                   ireal_tune("Other", "T44G7XyQZ")))
    recorder = Recorder(unique("rec"))
    try:
        with Jazzd("--connect", recorder.client, "--chords", str(playlist), "--tune",
                   "short form", "--choruses", "2", "--seed", "4", notify=notify) as jazzd:
            jazzd.ready()
            status, err = jazzd.finish(timeout=60)  # it stops by itself after 8 bars
    finally:
        events = recorder.stop()
    assert status == 0, err
    onsets = [t for t, msg in events if is_note_on(msg)]
    assert len(onsets) > 8
    span = onsets[-1] - onsets[0]
    # Two choruses of four bars at the chart's tempo: every onset within 8 bars of 0.8 s
    # (at the default 130 BPM they would spread over up to 14.8 s), and past the first
    # chorus (one chorus would end them within 4 bars).
    assert 5 * BAR_S < span < 8 * BAR_S, span
