"""importCalendar (services/calendar_import.py)."""

from bookwell.context import Info
from bookwell.resolvers.common import parse_uuid, require_principal
from bookwell.resolvers.waitlist import offer_after_release
from bookwell.schema.calendar import ImportCalendarInput, ImportCalendarPayload
from bookwell.schema.errors import UserError
from bookwell.schema.listing import Listing
from bookwell.services import calendar_import
from bookwell.services.calendar_import import CalendarConflict, CalendarInput
from bookwell.services.errors import DomainError, not_found


async def import_calendar(info: Info, input: ImportCalendarInput) -> ImportCalendarPayload:
    principal = require_principal(info)
    listing_id = parse_uuid(input.listing_id)
    if listing_id is None:
        return _failed(not_found("listing", "listingId"))
    data = CalendarInput(
        listing_id=listing_id,
        url=input.url,
        ics_text=input.ics_text,
        quantity=input.quantity,
        source=input.source,
    )
    try:
        result = await calendar_import.import_calendar(
            db=info.context.db,
            principal=principal,
            data=data,
            private_addresses=info.context.settings.calendar_private_addresses,
        )
    except CalendarConflict as conflict:
        return _failed(*conflict.errors)
    except DomainError as error:
        return _failed(error)
    if result.removed or result.updated:
        # After the commit, in a transaction of its own (services/waitlist.py says why).
        await offer_after_release(info, listing_id)
    return ImportCalendarPayload(
        listing=Listing.from_row(result.listing),
        created=result.created,
        updated=result.updated,
        removed=result.removed,
        unchanged=result.unchanged,
    )


def _failed(*errors: DomainError) -> ImportCalendarPayload:
    return ImportCalendarPayload(errors=[UserError.from_domain(error) for error in errors])
