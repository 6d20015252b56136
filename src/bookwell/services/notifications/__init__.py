"""What someone must hear about: events written to the outbox in the caller's transaction
(outbox.py), and the scheduled reminders and hold warnings (reminders.py)."""
