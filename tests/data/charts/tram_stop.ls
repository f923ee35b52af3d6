(title Tram Stop at Dusk)
(composer Checker Vera)
(show-title Tram Stop at Dusk)
(year 2026)
(comments made for the check)
(meter 4 4)
(key -1)
(bars-per-line 4)
(tempo 168.0)
(playback-transpose 0)
(bass-instrument 33)
(style swing)
(voicing-type closed)
(roadmap
    (brick (name Straight Approach) (variant ) (type Cadence) (key F) (mode major) (duration 960))
    )
(part
    (type chords)
    (title Tram Stop at Dusk)
    (composer Checker Vera)
    (instrument 0)
    (volume 127)
    (key -1)
    (stave treble)
    )
(section (style swing))
FM7 | Em7b5 A7b9 | Dm7 G7 | Cm7 F7 |
BbM7 | Bbm6 Eb7 | Am7 D7 | Gm7 / / C7 |
(section (style swing))
FM7 / Bbm6 / | NC | Gm7/C | F6 |
(part
    (type melody)
    (title Tram Stop at Dusk)
    (composer Checker Vera)
    (instrument 0)
    (volume 127)
    (key -1)
    (stave treble)
    )
r4 a4 c+8 a8 g4 | f2 e4 g4 | a1 | r1 |
d+2 c+2 | b-1 | a2 g2 | f1 |
a1 | r1 | g1 | f1 |
