"""Booking a stay and what follows: holds (holds.py), booking and who may see which
reservation (reservations.py), the lifecycle after the hold (lifecycle.py), the clock that
moves stays along (clock.py) and the reminders it schedules (reminders.py), idempotency
keys, and pages of reservations written as JSON by PostgreSQL (reservation_json.py)."""
