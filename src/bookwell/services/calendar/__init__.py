"""Calendars in and out: a listing's iCalendar feed (export.py), and importing an external
calendar as blocks (imports.py: fetch.py fetches it, ical_events.py reads its events,
plan.py compares them with the blocks there are, blocks.py writes them)."""
