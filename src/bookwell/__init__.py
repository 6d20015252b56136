"""Bookwell: a booking API behind one GraphQL endpoint."""

__version__ = "0.1.0"
