"""Listings, their availability, terms, price rules and units; the search and its look-ahead
prefetch; the availabilityChanged subscription."""
