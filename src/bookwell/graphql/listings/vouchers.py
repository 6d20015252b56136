"""A host's voucher codes: create, change (deactivate) and list them; only their own."""

import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated

import strawberry

from bookwell.core.errors import DomainError, InputErrors, invalid, not_found
from bookwell.core.ids import global_id
from bookwell.flows import vouchers as voucher_flows
from bookwell.graphql.context import Info
from bookwell.graphql.shared.common import (
    errors_as_data,
    parse_id,
    parse_uuid,
    require_principal,
)
from bookwell.graphql.shared.enums import VoucherKind
from bookwell.graphql.shared.errors import INPUT, ArgumentPaths, PublicError, UserError, user_errors
from bookwell.services.listings.charges import plain
from bookwell.services.vouchers import vouchers as voucher_service
from bookwell.services.vouchers.records import VoucherRecord
from bookwell.services.vouchers.vouchers import NewVoucher, VoucherUpdate

# updateVoucher(id:, input:)
UPDATE = ArgumentPaths(input="input", arguments=frozenset({"id"}))


@strawberry.type(description="A host's discount code, applied with quote and createReservation.")
class Voucher:
    id: strawberry.ID = strawberry.field(description="Its id, for updateVoucher.")
    code: str = strawberry.field(description="What guests type (any case).")
    kind: VoucherKind = strawberry.field(description="Percentage or fixed amount.")
    value: str = strawberry.field(
        description='PERCENT: "10" for 10 %; FIXED: an amount in the currency of the listing '
        "booked."
    )
    valid_from: datetime | None = strawberry.field(description="Not before; null: at once.")
    valid_until: datetime | None = strawberry.field(description="Not from then; null: never.")
    usage_limit: int | None = strawberry.field(description="Bookings at most; null: no limit.")
    times_used: int = strawberry.field(
        description="Bookings made with it that hold a use: all but those CANCELLED or "
        "EXPIRED (which gave theirs back)."
    )
    listing_ids: list[strawberry.ID] | None = strawberry.field(
        description="The listings it applies to; null: every listing of yours."
    )
    active: bool = strawberry.field(description="False once deactivated: no new booking uses it.")

    @classmethod
    def from_row(cls, row: VoucherRecord) -> "Voucher":
        return cls(
            id=strawberry.ID(global_id("Voucher", row.id)),
            code=row.code,
            kind=row.kind,
            value=plain(row.value),
            valid_from=row.valid_from,
            valid_until=row.valid_until,
            usage_limit=row.usage_limit,
            times_used=row.times_used,
            listing_ids=None
            if row.listing_ids is None
            else [strawberry.ID(global_id("Listing", each)) for each in row.listing_ids],
            active=row.active,
        )


@strawberry.input(description="A new voucher code.")
class CreateVoucherInput:
    code: str = strawberry.field(
        description="3 to 50 letters, digits, '-' or '_'; unique among yours (any case)."
    )
    kind: VoucherKind = strawberry.field(description="PERCENT or FIXED.")
    value: str = strawberry.field(description='Such as "10" (percent, at most 100) or "25.00".')
    valid_from: datetime | None = strawberry.field(default=None, description="Null: at once.")
    valid_until: datetime | None = strawberry.field(default=None, description="Null: never.")
    usage_limit: int | None = strawberry.field(default=None, description="Null: no limit.")
    listing_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Your listings it applies to; null: all of yours."
    )

    def to_domain(self) -> NewVoucher:
        found = InputErrors()
        value = found.check(_decimal, self.value, "value")
        ids = None
        if self.listing_ids is not None:
            ids = [
                found.check(parse_id, each, "listing", "listingIds") for each in self.listing_ids
            ]
        found.raise_if_any()
        assert value is not None
        return NewVoucher(
            code=self.code,
            kind=self.kind,
            value=value,
            valid_from=self.valid_from,
            valid_until=self.valid_until,
            usage_limit=self.usage_limit,
            listing_ids=None if ids is None else [each for each in ids if each is not None],
        )


@strawberry.input(description="What to change of a voucher; null fields stay as they are.")
class UpdateVoucherInput:
    active: bool | None = strawberry.field(default=None, description="false deactivates it.")
    valid_until: datetime | None = strawberry.field(default=None, description="A new end.")
    usage_limit: int | None = strawberry.field(default=None, description="A new limit.")


def _decimal(value: str, field: str) -> Decimal:
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise invalid(field, "Not a decimal number such as 10 or 25.00.") from None
    if not number.is_finite():
        raise invalid(field, "Not a decimal number such as 10 or 25.00.")
    return number


@strawberry.type(description="What createVoucher and updateVoucher answer.")
class VoucherPayload:
    voucher: Voucher | None = strawberry.field(
        default=None, description="The voucher; null when errors is not empty."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why nothing changed (FORBIDDEN for guests, NOT_FOUND, INVALID_INPUT, "
        "INVALID_DATES, ALREADY_EXISTS); empty on success.",
    )


async def create_voucher(
    info: Info, input: Annotated[CreateVoucherInput, strawberry.argument(description="The code.")]
) -> VoucherPayload:
    principal = require_principal(info)
    found = InputErrors()
    new = found.check(input.to_domain)
    if (error := found.as_error()) is not None:
        return VoucherPayload(errors=user_errors(error, INPUT))
    assert new is not None
    row, errors = await errors_as_data(
        voucher_flows.create_voucher(info.context.db, principal=principal, new=new), INPUT
    )
    return VoucherPayload(voucher=Voucher.from_row(row) if row else None, errors=errors)


async def update_voucher(
    info: Info,
    id: Annotated[strawberry.ID, strawberry.argument(description="Your voucher.")],
    input: Annotated[UpdateVoucherInput, strawberry.argument(description="What changes.")],
) -> VoucherPayload:
    principal = require_principal(info)
    voucher_id = parse_uuid(id, "Voucher")
    if voucher_id is None:
        return VoucherPayload(errors=[UserError.from_domain(not_found("voucher"))])
    change = VoucherUpdate(
        active=input.active, valid_until=input.valid_until, usage_limit=input.usage_limit
    )
    row, errors = await errors_as_data(
        voucher_flows.update_voucher(
            info.context.db, principal=principal, voucher_id=voucher_id, change=change
        ),
        UPDATE,
    )
    return VoucherPayload(voucher=Voucher.from_row(row) if row else None, errors=errors)


async def vouchers(
    info: Info,
    listing_id: Annotated[
        strawberry.ID | None,
        strawberry.argument(description="Only those that apply to this listing of yours."),
    ] = None,
) -> list[Voucher]:
    principal = require_principal(info)
    listing_uuid: uuid.UUID | None = None
    if listing_id is not None:
        listing_uuid = parse_uuid(listing_id, "Listing")
        if listing_uuid is None:
            return []
    try:
        async with info.context.db.read() as session:
            rows = await voucher_service.list_vouchers(
                session=session, principal=principal, listing_id=listing_uuid
            )
    except DomainError as error:
        raise PublicError.from_domain(error) from None
    return [Voucher.from_row(row) for row in rows]
