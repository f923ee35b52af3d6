"""Files in and out: input files checked before reading (``checked_input``), output files
written whole or not at all (``atomic_output``), and the files embedded with jazzd
(``embedded``). The floor of the tree: any package may import them; they import only
``jazzd.errors``."""
