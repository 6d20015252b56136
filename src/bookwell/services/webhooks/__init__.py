"""Signed outbound webhooks: endpoints hosts and admins register (endpoints.py), the events
they hear of (events.py), one delivery per (endpoint, outbox event) with its attempts
(deliveries.py), the signed POST (sender.py), and the address guard every URL passes at
registration and again at each connection (addresses.py)."""
