"""The objects and lists of objects that a row leads to in another table, as the ordinary
path's loaders find them (graphql/loaders.py): what plan.py compiles a field of an object
type that is not a column of its own row into."""

import enum
from dataclasses import dataclass


class Kind(enum.Enum):
    ONE = "one"  # one row or none (null)
    ALWAYS = "always"  # one row, or an object of nulls when there is none
    MANY = "many"  # a list in `order`


@dataclass(frozen=True)
class Relation:
    table: str
    condition: str
    kind: Kind = Kind.ONE
    order: str = ""


_RULES = "listing_booking_rules"

# (GraphQL type, field) -> where its object or objects are. Relations take no arguments.
RELATIONS = {
    ("Listing", "owner"): Relation("users", "users.id = listings.owner_id"),
    ("Listing", "bookingRules"): Relation(
        _RULES, f"{_RULES}.listing_id = listings.id AND {_RULES}.start_date IS NULL", Kind.ALWAYS
    ),
    ("Listing", "bookingRuleSeasons"): Relation(
        _RULES,
        f"{_RULES}.listing_id = listings.id AND {_RULES}.start_date IS NOT NULL",
        Kind.MANY,
        f"{_RULES}.id DESC",  # newest (winning) first
    ),
    # A reservation's listing and guest: whoever may see the reservation sees both (the
    # loaders read them by id, unfiltered); a calendar block has no guest (null).
    ("Reservation", "listing"): Relation("listings", "listings.id = reservations.listing_id"),
    # A checkout user's row is shared by every host's bookings for its address: named as on
    # this booking (graphql/accounts/types.py User.as_booked), never by the row's own name.
    ("Reservation", "guest"): Relation(
        "(SELECT u.id, u.global_id, u.role, r.id AS booked_on,"
        " CASE WHEN u.checkout THEN r.guest_name ELSE u.name END AS name"
        " FROM users AS u JOIN reservations AS r ON r.guest_id = u.id) AS users",
        "users.booked_on = reservations.id",
    ),
    ("Listing", "taxes"): Relation(
        "listing_taxes",
        "listing_taxes.listing_id = listings.id",
        Kind.MANY,
        "listing_taxes.position",
    ),
    ("Listing", "priceRules"): Relation(
        "listing_price_rules",
        "listing_price_rules.listing_id = listings.id",
        Kind.MANY,
        "listing_price_rules.id DESC",  # newest (winning) first
    ),
}
