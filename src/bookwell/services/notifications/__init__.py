"""What someone must hear about: events written to the outbox in the caller's transaction
(outbox.py), relayed to the queue by workers/relay.py."""
