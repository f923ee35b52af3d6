"""OSC control: typed messages under ``/jazzd/`` over UDP (python-osc), loaded only when used."""
