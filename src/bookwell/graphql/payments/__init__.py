"""Payments: a reservation's payment and payReservation."""
