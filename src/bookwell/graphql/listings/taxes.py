"""A listing's taxes as hosts set them and guests see them."""

from decimal import Decimal, InvalidOperation
from typing import Annotated

import strawberry

from bookwell.core.errors import InputErrors, invalid
from bookwell.flows import listings as listing_flows
from bookwell.graphql.context import Info
from bookwell.graphql.shared.common import errors_as_data, parse_id, require_principal
from bookwell.graphql.shared.enums import TaxKind
from bookwell.graphql.shared.errors import ArgumentPaths, UserError, user_errors
from bookwell.graphql.shared.money import Money
from bookwell.services.listings import charges

# setListingTaxes(listingId:, taxes:): each name is an argument.
TAXES = ArgumentPaths()


@strawberry.type(
    description="A tax or fee by law on a listing's stays, shown as a TAX line of a price."
)
class Tax:
    name: str = strawberry.field(description='Such as "VAT" or "Tourist tax".')
    kind: TaxKind = strawberry.field(description="Percentage or per person and night.")
    rate: str | None = strawberry.field(
        description='PERCENT: the rate as a decimal string, "7" for 7 %; null otherwise.'
    )
    amount: Money | None = strawberry.field(
        description="PER_PERSON_NIGHT: per person and night; null otherwise."
    )
    inclusive: bool = strawberry.field(
        description="Already in the price (shown as an included line, not added to the "
        "total); false: added to the total."
    )

    @classmethod
    def of(cls, tax: charges.Tax, currency: str) -> "Tax":
        return cls(
            name=tax.name,
            kind=tax.kind,
            rate=None if tax.rate is None else charges.plain(tax.rate),
            amount=None if tax.amount is None else Money.of(tax.amount, currency),
            inclusive=tax.inclusive,
        )


@strawberry.input(description="One tax of setListingTaxes.")
class TaxInput:
    name: str = strawberry.field(description="1 to 100 characters.")
    kind: TaxKind = strawberry.field(description="PERCENT takes rate; PER_PERSON_NIGHT amount.")
    rate: str | None = strawberry.field(
        default=None, description='PERCENT: 0 to 100, at most 4 decimals, such as "7" or "19.6".'
    )
    amount: str | None = strawberry.field(
        default=None, description='PER_PERSON_NIGHT: at most 2 decimals, such as "2.50".'
    )
    inclusive: bool = strawberry.field(
        default=False, description="Already in the nightly price and fees (VAT, usually)."
    )

    def to_domain(self, index: int) -> charges.Tax:
        return charges.Tax(
            name=self.name,
            kind=self.kind,
            inclusive=self.inclusive,
            rate=_decimal(self.rate, ("taxes", str(index), "rate")),
            amount=_decimal(self.amount, ("taxes", str(index), "amount")),
        )


def _decimal(value: str | None, field: tuple[str, ...]) -> Decimal | None:
    if value is None:
        return None
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        raise invalid(field, "Not a decimal number such as 7 or 2.50.") from None
    if not number.is_finite():
        raise invalid(field, "Not a decimal number such as 7 or 2.50.")
    return number


@strawberry.type(description="What setListingTaxes answers: the listing's taxes, or why not.")
class ListingTaxesPayload:
    taxes: list[Tax] | None = strawberry.field(
        default=None, description="The listing's taxes now, in order; null on errors."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why nothing changed (NOT_FOUND, FORBIDDEN, INVALID_INPUT); empty on success.",
    )


async def set_listing_taxes(
    info: Info,
    listing_id: Annotated[strawberry.ID, strawberry.argument(description="Your listing.")],
    taxes: Annotated[
        list[TaxInput],
        strawberry.argument(
            description="Every tax of the listing (at most 10), in order: "
            "they replace the current ones; [] removes them all."
        ),
    ],
) -> ListingTaxesPayload:
    principal = require_principal(info)
    found = InputErrors()
    listing_uuid = found.check(parse_id, listing_id, "listing", "listingId")
    domain = [found.check(tax.to_domain, index) for index, tax in enumerate(taxes)]
    if (error := found.as_error()) is not None:
        return ListingTaxesPayload(errors=user_errors(error, TAXES))
    assert listing_uuid is not None
    saved, errors = await errors_as_data(
        listing_flows.set_listing_taxes(
            info.context.db,
            principal=principal,
            listing_id=listing_uuid,
            taxes=[tax for tax in domain if tax is not None],
        ),
        TAXES,
    )
    if saved is None:
        return ListingTaxesPayload(errors=errors)
    listing = await info.context.loaders.listing.load(listing_uuid)
    return ListingTaxesPayload(taxes=[Tax.of(tax, listing.currency) for tax in saved])
