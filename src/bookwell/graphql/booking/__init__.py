"""Reservations: createReservation, reading them, and their lifecycle mutations."""
