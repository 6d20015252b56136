import asyncio
from datetime import date
from typing import Annotated

import strawberry

from bookwell.core.errors import not_found
from bookwell.graphql.context import Info
from bookwell.graphql.reports.types import Report
from bookwell.graphql.shared.common import parse_uuid, require_principal
from bookwell.services.reports import reports
from bookwell.services.reports.render import ReportFormat


async def report(
    info: Info,
    *,
    listing_id: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="Only this listing (NOT_FOUND if not yours)."),
    ] = None,
    city: Annotated[
        str | None, strawberry.argument(description="Only listings in this city, any case.")
    ] = None,
    start_date: Annotated[date, strawberry.argument(description="The first night.")],
    end_date: Annotated[
        date,
        strawberry.argument(description="The day after the last night: at most 366 nights."),
    ],
    format: Annotated[
        ReportFormat, strawberry.argument(description="What `rendered` holds (JSON: nothing).")
    ] = ReportFormat.JSON,
) -> Report:
    principal = require_principal(info)
    reports.require_reporter(principal)
    listing_uuid = parse_uuid(listing_id, "Listing") if listing_id is not None else None
    if listing_id is not None and listing_uuid is None:
        raise not_found("listing", "listingId")
    async with info.context.db.read() as session:
        found = await reports.build_report(
            session=session,
            principal=principal,
            start_date=start_date,
            end_date=end_date,
            listing_id=listing_uuid,
            city=city,
        )
    # Rendering thousands of listings takes a while: off the event loop, as the download does.
    return await asyncio.to_thread(Report.of, found, format)
