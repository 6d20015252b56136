"""Calendar import: its input and payload (graphql/calendar/resolvers.py)."""

import strawberry

from bookwell.graphql.listings.types import Listing
from bookwell.graphql.shared.errors import UserError


@strawberry.input(
    description="An iCalendar to block nights from: its url or its text, exactly one."
)
class ImportCalendarInput:
    listing_id: strawberry.ID = strawberry.field(
        description="Your STAY listing whose nights the calendar's events block."
    )
    url: str | None = strawberry.field(
        default=None,
        description="http(s):// or webcal:// address of an .ics export (for example another "
        "booking site's calendar link); fetched once, now.",
    )
    ics_text: str | None = strawberry.field(
        default=None, description="The calendar itself, pasted (at most 2 MB)."
    )
    quantity: int = strawberry.field(
        default=1, description="Units each event blocks, 1 to the listing's units."
    )
    source: str | None = strawberry.field(
        default=None,
        description="With icsText only: your name for the pasted calendar (for example "
        '"Airbnb unit 2"), at most 200 characters. Pasting again under the same name syncs '
        "fully: blocks of events gone from it are removed. Without a name, pasted text "
        "adds and moves blocks but removes none, as it cannot tell which earlier paste it "
        "replaces (two exports from one site look alike). A url is its own name.",
    )


@strawberry.type(
    description="What the import changed. Every event is a block (a CONFIRMED reservation "
    "without a guest) identified by its UID; on errors nothing changed and the counts are 0."
)
class ImportCalendarPayload:
    listing: Listing | None = strawberry.field(
        default=None, description="The listing blocked; null when errors is not empty."
    )
    created: int = strawberry.field(default=0, description="Events blocked for the first time.")
    updated: int = strawberry.field(
        default=0, description="Blocks moved to new dates (or renamed, or blocking again)."
    )
    removed: int = strawberry.field(
        default=0,
        description="Blocks cancelled (or, under way, ended today) as their events left "
        "this calendar. Always 0 for icsText pasted without a source: that removes nothing.",
    )
    unchanged: int = strawberry.field(default=0, description="Blocks already as the calendar says.")
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why nothing changed (one UNAVAILABLE per event that does not fit, naming "
        "it); empty on success.",
    )
