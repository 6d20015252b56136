"""What staff see at /admin: users, listings, reservations, the outbox and API tokens.

Listings, reservations and the outbox are read-only: their changes go through the services,
which keep inventory, prices and notifications consistent. Users may be renamed and given
another role; passwords are neither shown nor set here. API tokens may be revoked."""

import contextlib
import uuid
from collections.abc import Callable
from typing import Any, ClassVar

from sqladmin import ModelView, action
from sqladmin.filters import AllUniqueStringValuesFilter, ForeignKeyFilter, StaticValuesFilter
from sqladmin.helpers import object_identifier_values
from sqlalchemy import Select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from bookwell.admin.filters import DeliveryFilter
from bookwell.flows import accounts
from bookwell.models import (
    ApiToken,
    Listing,
    ListingKind,
    OutboxMessage,
    Reservation,
    ReservationStatus,
    Role,
    User,
)
from bookwell.services.notifications.outbox import Event

PAGE_SIZES = [25, 50, 100]


def _choices(values: type[Role] | type[ListingKind] | type[ReservationStatus]) -> list:
    return [(member.value, member.value.title()) for member in values]


def _money(column: str) -> Callable[[Any, Any], str]:
    """An amount with its currency in one cell ("120.00 EUR")."""
    return lambda row, _: f"{getattr(row, column)} {row.currency}"


def _labels(columns: list, **names: str) -> dict:
    """Column headings: `names` by attribute, else the attribute's name as words."""
    return {c: names.get(c.key, c.key.replace("_", " ").capitalize()) for c in columns}


class ReadOnly(ModelView):
    can_create = False
    can_edit = False
    can_delete = False
    can_view_details = True
    page_size = 25
    page_size_options: ClassVar = PAGE_SIZES

    def search_query(self, stmt: Select, term: str) -> Select:
        if "\x00" in term:  # PostgreSQL's text cannot hold it: the query would fail (500)
            raise HTTPException(400, "A search may not contain a NUL character.")
        return super().search_query(stmt, term)

    def _stmt_by_identifier(self, identifier: str) -> Select:
        # sqladmin's one way from a URL's pk to a query (details, edit, delete): a pk that is
        # not of the key's type names no row (its conversion raised ValueError: 500).
        # A number past bigint fails in the driver (500) as well.
        try:
            values = object_identifier_values(identifier, self.model)
        except (ValueError, TypeError):
            raise HTTPException(404) from None
        if any(isinstance(value, int) and not -(2**63) <= value < 2**63 for value in values):
            raise HTTPException(404)
        return super()._stmt_by_identifier(identifier)


class UserAdmin(ReadOnly, model=User):
    name, name_plural, icon = "User", "Users", "fa-solid fa-user"
    can_edit = True
    can_export = False  # a list of everyone's email address is not a download
    column_list: ClassVar = [
        User.email,
        User.name,
        User.role,
        User.checkout,
        User.created_at,
        User.id,
    ]
    column_labels: ClassVar = _labels(column_list, created_at="Joined", id="ID")
    column_details_exclude_list: ClassVar = [User.password_hash]
    form_columns: ClassVar = [User.name, User.role]
    column_searchable_list: ClassVar = [User.email, User.name]
    column_sortable_list: ClassVar = [User.email, User.name, User.role, User.created_at]
    column_default_sort: ClassVar = [(User.created_at, True)]
    column_filters: ClassVar = [StaticValuesFilter(User.role, _choices(Role), title="Role")]


class ListingAdmin(ReadOnly, model=Listing):
    name, name_plural, icon = "Listing", "Listings", "fa-solid fa-house"
    column_list: ClassVar = [
        Listing.title,
        Listing.kind,
        Listing.city,
        Listing.country,
        Listing.units,
        Listing.nightly_price,
        Listing.instant_book,
        Listing.created_at,
        Listing.id,
    ]
    column_labels: ClassVar = _labels(
        column_list, nightly_price="Price", instant_book="Instant", created_at="Created", id="ID"
    )
    column_formatters: ClassVar = {Listing.nightly_price: _money("nightly_price")}
    column_searchable_list: ClassVar = [Listing.title, Listing.city]
    column_sortable_list: ClassVar = [
        Listing.title,
        Listing.kind,
        Listing.city,
        Listing.nightly_price,
        Listing.created_at,
    ]
    column_default_sort: ClassVar = [(Listing.created_at, True)]
    column_filters: ClassVar = [
        StaticValuesFilter(Listing.kind, _choices(ListingKind), title="Kind"),
        AllUniqueStringValuesFilter(Listing.city, title="City"),
        AllUniqueStringValuesFilter(Listing.country, title="Country"),
    ]


class ReservationAdmin(ReadOnly, model=Reservation):
    name, name_plural, icon = "Reservation", "Reservations", "fa-solid fa-calendar-check"
    column_list: ClassVar = [
        Reservation.guest_name,
        Reservation.status,
        Reservation.start_date,
        Reservation.end_date,
        Reservation.quantity,
        Reservation.total_amount,
        Reservation.listing_id,
        Reservation.created_at,
        Reservation.id,
    ]
    column_labels: ClassVar = _labels(
        column_list,
        guest_name="Guest",
        start_date="From",
        end_date="To",
        quantity="Units",
        total_amount="Total",
        listing_id="Listing ID",
        created_at="Booked",
        id="ID",
    )
    column_formatters: ClassVar = {Reservation.total_amount: _money("total_amount")}
    column_details_exclude_list: ClassVar = [Reservation.price_snapshot]
    column_searchable_list: ClassVar = [Reservation.guest_name, Reservation.id]
    column_sortable_list: ClassVar = [
        Reservation.guest_name,
        Reservation.status,
        Reservation.start_date,
        Reservation.end_date,
        Reservation.total_amount,
        Reservation.created_at,
    ]
    column_default_sort: ClassVar = [(Reservation.created_at, True)]
    column_filters: ClassVar = [
        StaticValuesFilter(Reservation.status, _choices(ReservationStatus), title="Status"),
        ForeignKeyFilter(Reservation.listing_id, Listing.title, title="Listing"),
    ]


class OutboxAdmin(ReadOnly, model=OutboxMessage):
    name, name_plural, icon = "Outbox event", "Outbox", "fa-solid fa-envelope"
    column_list: ClassVar = [
        OutboxMessage.id,
        OutboxMessage.created_at,
        OutboxMessage.event,
        OutboxMessage.reservation_id,
        OutboxMessage.relayed_at,
        OutboxMessage.relay_count,
        OutboxMessage.delivered_at,
        OutboxMessage.request_id,
    ]
    column_labels: ClassVar = _labels(
        column_list,
        id="ID",
        created_at="Recorded",
        reservation_id="Reservation ID",
        relayed_at="Relayed",
        relay_count="Relays",
        delivered_at="Delivered",
        request_id="Request ID",
    )
    column_searchable_list: ClassVar = [OutboxMessage.event, OutboxMessage.reservation_id]
    column_sortable_list: ClassVar = [
        OutboxMessage.id,
        OutboxMessage.event,
        OutboxMessage.relayed_at,
        OutboxMessage.delivered_at,
    ]
    column_default_sort: ClassVar = [(OutboxMessage.id, True)]
    column_filters: ClassVar = [
        # The known events, not a scan of the table for its distinct values on every page.
        StaticValuesFilter(OutboxMessage.event, [(e.value, e.value) for e in Event], title="Event"),
        DeliveryFilter(),
    ]


class ApiTokenAdmin(ReadOnly, model=ApiToken):
    """Tokens are listed (never their hashes) to be revoked: the Revoke action on the
    selected rows or one token's page; they stop signing in at once."""

    name, name_plural, icon = "API token", "API tokens", "fa-solid fa-key"
    can_export = False
    column_list: ClassVar = [
        ApiToken.name,
        ApiToken.user_id,
        ApiToken.created_at,
        ApiToken.expires_at,
        ApiToken.revoked_at,
        ApiToken.id,
    ]
    column_labels: ClassVar = _labels(
        column_list,
        user_id="User ID",
        created_at="Created",
        expires_at="Expires",
        revoked_at="Revoked",
        id="ID",
    )
    column_details_exclude_list: ClassVar = [ApiToken.token_hash]
    column_searchable_list: ClassVar = [ApiToken.name, ApiToken.user_id]
    column_sortable_list: ClassVar = [ApiToken.name, ApiToken.created_at, ApiToken.revoked_at]
    column_default_sort: ClassVar = [(ApiToken.created_at, True)]

    @action(
        name="revoke",
        label="Revoke",
        confirmation_message="Revoke the selected tokens? They stop working at once.",
    )
    async def revoke(self, request: Request) -> Response:
        ids = []
        for pk in request.query_params.get("pks", "").split(","):
            with contextlib.suppress(ValueError):
                ids.append(uuid.UUID(pk.strip()))
        if ids:
            await accounts.revoke_api_tokens_by_id(request.state.db, ids=ids)
        return RedirectResponse(request.url_for("admin:list", identity=self.identity), 303)


VIEWS = (UserAdmin, ListingAdmin, ReservationAdmin, OutboxAdmin, ApiTokenAdmin)
