"""Blackouts at /admin/blackout: staff list them, make one for any listing and reopen what
one closed. Both changes go through the same flow as the API's createBlackout and
deleteBlackout (flows/calendar.py), as the signed-in admin: the capacity guarantee, the
conflict report and the waitlist offers are the same."""

import contextlib
import uuid
from datetime import date, datetime
from typing import Any, ClassVar

from sqladmin import action
from sqladmin.filters import ForeignKeyFilter
from sqlalchemy import Select, func, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from wtforms import DateField, Form, IntegerField, StringField  # type: ignore[import-untyped]
from wtforms.validators import DataRequired, Optional  # type: ignore[import-untyped]

from bookwell.admin.views import ReadOnly, _labels
from bookwell.core.errors import DomainError
from bookwell.flows import calendar as calendar_flows
from bookwell.models import Listing, Reservation
from bookwell.services.calendar.blackout_input import NewBlackout
from bookwell.services.calendar.blackouts import BLACKOUT_SOURCE, IS_BLACKOUT


class BlackoutForm(Form):
    listing_id = StringField("Listing ID", validators=[DataRequired()])
    start_date = DateField("First night closed (stays)", validators=[Optional()])
    end_date = DateField("Day after the last night (stays)", validators=[Optional()])
    starts_at = StringField(
        "Closed from (slot listings, ISO 8601 with offset)", validators=[Optional()]
    )
    ends_at = StringField("Closed until (slot listings)", validators=[Optional()])
    units = IntegerField("Units (empty: all)", validators=[Optional()])
    reason = StringField("Reason", validators=[Optional()])


def _instant(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(
            f"Not a date and time such as 2027-03-05T19:00:00+01:00: {value}"
        ) from None


class BlackoutAdmin(ReadOnly, model=Reservation):
    name, name_plural, icon = "Blackout", "Blackouts", "fa-solid fa-ban"
    can_create = True
    form = BlackoutForm
    column_list: ClassVar = [
        Reservation.guest_name,
        Reservation.listing_id,
        Reservation.status,
        Reservation.start_date,
        Reservation.end_date,
        Reservation.starts_at,
        Reservation.ends_at,
        Reservation.quantity,
        Reservation.created_at,
        Reservation.id,
    ]
    column_labels: ClassVar = _labels(
        column_list,
        guest_name="Reason",
        listing_id="Listing ID",
        start_date="From",
        end_date="To",
        starts_at="Hours from",
        ends_at="Hours to",
        quantity="Units",
        created_at="Made",
        id="ID",
    )
    column_details_exclude_list: ClassVar = [Reservation.price_snapshot]
    column_sortable_list: ClassVar = [Reservation.start_date, Reservation.created_at]
    column_default_sort: ClassVar = [(Reservation.start_date, True)]
    column_filters: ClassVar = [
        ForeignKeyFilter(Reservation.listing_id, Listing.title, title="Listing"),
    ]

    def list_query(self, request: Request) -> Select[Any]:
        return select(Reservation).where(IS_BLACKOUT)

    def count_query(self, request: Request) -> Select[Any]:
        return select(func.count(Reservation.id)).where(IS_BLACKOUT)

    def details_query(self, request: Request) -> Select[Any]:
        return super().details_query(request).where(IS_BLACKOUT)

    async def insert_model(self, request: Request, data: dict) -> Any:
        """The API's createBlackout, as the signed-in admin; a refusal is shown on the form
        (sqladmin shows the exception's text)."""
        try:
            listing_id = uuid.UUID(str(data.get("listing_id", "")).strip())
        except ValueError:
            raise ValueError("Listing ID is a listing's UUID (see Listings).") from None
        start, end = data.get("start_date"), data.get("end_date")
        blackout = NewBlackout(
            listing_id=listing_id,
            start_date=start if isinstance(start, date) else None,
            end_date=end if isinstance(end, date) else None,
            starts_at=_instant(data.get("starts_at")),
            ends_at=_instant(data.get("ends_at")),
            units=data.get("units"),
            reason=data.get("reason"),
        )
        try:
            made = await calendar_flows.create_blackout(
                request.state.db, principal=request.state.principal, data=blackout
            )
        except DomainError as error:
            raise ValueError(" ".join(each.message for each in error.errors)) from None
        return Reservation(id=made.id)  # sqladmin only reads its primary key

    @action(
        name="reopen",
        label="Reopen",
        confirmation_message="Delete the selected blackouts? What they closed can be booked "
        "again at once.",
    )
    async def reopen(self, request: Request) -> Response:
        for pk in request.query_params.get("pks", "").split(","):
            with contextlib.suppress(ValueError, DomainError):
                await calendar_flows.delete_blackout(
                    request.state.db,
                    principal=request.state.principal,
                    blackout_id=uuid.UUID(pk.strip()),
                )
        return RedirectResponse(request.url_for("admin:list", identity=self.identity), 303)


# sqladmin names a view after its model: the reservations' view has that name already.
BlackoutAdmin.identity = BLACKOUT_SOURCE
