"""Listings, what they offer and what it costs: creating, reading and filtering them
(listings.py), their units and a restaurant's tables (units.py), the terms a host sets
(terms.py), stay ranges (stays.py), what a stay costs (pricing.py), free units and the
search for room (availability.py), and pages of listings written as JSON by PostgreSQL
(listing_json.py)."""

# Re-exported only for tests/conftest.py (`from bookwell.services import listings`) until its
# imports follow the move to services/listings/listings.py; then delete these lines.
from bookwell.services.listings.listings import NewListing, create_listing

__all__ = ["NewListing", "create_listing"]
