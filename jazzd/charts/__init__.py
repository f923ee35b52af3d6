"""Charts: lead sheets in MusicXML, iReal Pro and Impro-Visor, their forms, playlists."""
