"""Occupancy and revenue reports: the SQL (reports.py), what a report holds (figures.py),
and its renderings for people (render/: HTML, text, CSV, JSON)."""
