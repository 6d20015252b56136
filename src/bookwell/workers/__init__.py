"""Background work: what runs outside a request (sweeps now; the queue and scheduler later)."""
