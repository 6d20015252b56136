"""Listings, what they offer and what it costs: creating, reading and filtering them
(listings.py), their units and a restaurant's tables (units.py), the terms a host sets
(terms.py), stay ranges (stays.py), what a stay costs (pricing.py), free units and the
search for room (availability.py), and what a listing's JSON can show (listing_json.py)."""
