"""Time-slot listings (restaurants, spaces, equipment): wall-clock slots (times.py), what a
slot listing allows (rules.py), booking (slots.py) and the search for free start times
(search.py). Their units and tables are the listing's (listings/units.py)."""
