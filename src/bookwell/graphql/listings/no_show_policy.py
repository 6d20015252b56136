"""`Listing.autoNoShowAfterHours`, the listing's no-show setting (services/booking/no_show.py;
set with setNoShowPolicy), read in one batch per request."""

import uuid
from typing import Protocol, cast

import strawberry

from bookwell.graphql.context import Info


class _Identified(Protocol):
    uuid: uuid.UUID


@strawberry.type
class NoShowPolicyField:
    """Listing's field, kept beside the no-show code rather than in the listing's types."""

    @strawberry.field(
        description="No-shows (setNoShowPolicy): hours after a reservation begins by which a "
        "CONFIRMED one nobody checked in is marked NO_SHOW by the scheduler; the host then "
        "checks guests in (checkIn). Null: off, and the clock checks guests in at the start."
    )
    async def auto_no_show_after_hours(self, info: Info) -> int | None:
        listing = cast(_Identified, self)
        hours: int | None = await info.context.loaders.no_show_policy.load(listing.uuid)
        return hours
