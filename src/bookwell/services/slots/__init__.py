"""Time-slot listings (restaurants, spaces, equipment): wall-clock slots (times.py), what a
slot listing allows (rules.py), its units and tables (units.py), booking (slots.py) and the
search for free start times (search.py)."""
