"""Who may see which reservations, written once as SQL predicates: the ordinary path's
queries (reservations.py and the services that import visible_to) and the compiled read path
(graphql/engine/compiler/) both use these.

Guests see their own reservations, hosts those on their listings, admins all; a manage
link's bearer only its one reservation (services/booking/manage_tokens.py); anonymous callers
none (their pages are empty before any query: graphql/loaders.py).
"""

import uuid
from typing import Any

from sqlalchemy import ColumnElement, or_, select

from bookwell.models import Listing, Reservation
from bookwell.services.accounts.principal import Principal


def visible_to(viewer: Principal) -> ColumnElement[bool] | None:
    """The condition on Reservation for this viewer; None: no condition (an admin)."""
    if viewer.reservation_scope is not None:
        return (Reservation.id == viewer.reservation_scope) & seen_by(viewer.user_id)
    return None if viewer.is_admin else seen_by(viewer.user_id)


def seen_by(user: uuid.UUID | ColumnElement[Any]) -> ColumnElement[bool]:
    """What a user who is not an admin may see; `user` may be a bind parameter. The
    listings it reads are never the enclosing query's (correlate(None)): a statement that
    reads listings around its reservations must not narrow this to its own row."""
    hosted = select(Listing.id).where(Listing.owner_id == user).correlate(None)
    return or_(Reservation.guest_id == user, Reservation.listing_id.in_(hosted))
