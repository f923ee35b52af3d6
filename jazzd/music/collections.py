"""The collections of solos a model may learn from, kept import-light (the config and
``--help`` read them without loading numpy)."""

#: In the order of the ``corpus`` context group's values (0, 1): a player's performance in
#: the Weimar Jazz Database, a transcription read from a MIDI file. The first is what jazzd
#: imitates unless told.
COLLECTIONS = ("wjazzd", "midi")
