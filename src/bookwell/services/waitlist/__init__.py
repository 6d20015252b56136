"""The waitlist: joining a full range and offering freed units (waitlist.py), and reading
entries with their offers and places (entries.py)."""
