"""Prices as guests and hosts see them: rules, quotes, and a booking's price snapshot."""

import uuid
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any

import strawberry

from bookwell.core.errors import DomainError
from bookwell.core.ids import global_id
from bookwell.graphql.shared.errors import UserError
from bookwell.graphql.shared.money import Money
from bookwell.graphql.shared.node import Node
from bookwell.services.listings.records import PriceRuleRecord


@strawberry.type(description="What a guest gets back when they cancel.")
class CancellationPolicy:
    free_cancellation_days: int = strawberry.field(
        description="Cancelling at least this many days before check-in refunds everything."
    )
    late_refund_percent: int = strawberry.field(
        description="Later, this share of the nights' price is refunded (fees in full)."
    )
    no_show_refund_percent: int = strawberry.field(
        default=0,
        description="A no-show (nobody checked in by the grace time, or marked by the host) "
        "gets this share of the price back; 0 by default.",
    )


@strawberry.type(description="A host's price for some nights; the newest matching rule wins.")
class PriceRule(Node):
    database_id: uuid.UUID = strawberry.field(
        description="The rule's UUIDv7 as stored (sortable by creation time), for SQL and "
        "analysts; inputs accept it wherever they take this rule's id."
    )
    name: str = strawberry.field(
        description="The host's name for it; shown on the line items it prices."
    )
    start_date: date | None = strawberry.field(description="First night it applies to.")
    end_date: date | None = strawberry.field(description="First night it no longer applies to.")
    weekdays: list[int] | None = strawberry.field(
        description="ISO weekdays of the night (1 = Monday ... 7 = Sunday); null: every day."
    )
    nightly_price: Money = strawberry.field(
        description="The price per night and unit of the nights it covers."
    )

    @classmethod
    def from_row(cls, row: PriceRuleRecord, currency: str) -> "PriceRule":
        return cls(
            id=global_id("PriceRule", row.id),
            database_id=row.id,
            name=row.name,
            start_date=row.start_date,
            end_date=row.end_date,
            weekdays=list(row.weekdays) if row.weekdays else None,
            nightly_price=Money.of(row.nightly_price, currency),
        )


@strawberry.type(
    description="One line of a price: a run of nights at one price, a cleaning fee, or a slot."
)
class LineItem:
    kind: str = strawberry.field(
        description="NIGHTS, CLEANING_FEE or SLOT; DISCOUNT: a voucher's, a negative amount "
        "off the nights; TAX: one of the listing's taxes (see `included`); or LATE_CHANGE_FEE: "
        "what changes of dates after the free cancellation deadline kept of the nights they "
        "gave up (the policy's share, as cancelling them would keep)."
    )
    description: str = strawberry.field(
        description='What it is, such as "3 night(s) from 2031-01-04 (Summer)", a price rule\'s '
        "name in brackets."
    )
    start_date: date | None = strawberry.field(
        description="NIGHTS: the run's first night; null for fees and slots."
    )
    end_date: date | None = strawberry.field(
        description="NIGHTS: the day after the run's last night; null for fees and slots."
    )
    unit_price: Money = strawberry.field(
        description="The price of one unit-night, one unit's fee, or one slot of one unit (a "
        "restaurant: the sitting)."
    )
    quantity: int = strawberry.field(
        description="Unit-nights for NIGHTS; units for fees; slots x units for SLOT (1 for a "
        "restaurant sitting)."
    )
    amount: Money = strawberry.field(description="unitPrice x quantity.")
    included: bool = strawberry.field(
        default=False,
        description="An inclusive TAX: already in the other lines' amounts, so not added to "
        "the total (shown for the guest's and the host's accounts).",
    )


@strawberry.type(description="A price, line by line, with the policy it was agreed under.")
class Quote:
    line_items: list[LineItem] = strawberry.field(
        description="The nights in runs of one price, in date order, then the cleaning fee; or "
        "the slot."
    )
    total: Money = strawberry.field(
        description="The sum of the line items' amounts, but those `included`."
    )
    tax_total: Money = strawberry.field(
        description="The taxes in the total, added or included (0 before a listing had taxes)."
    )
    voucher_code: str | None = strawberry.field(
        default=None, description="The voucher applied (its DISCOUNT line), if any."
    )
    cancellation_policy: CancellationPolicy = strawberry.field(
        description="What cancelling a booking at this price refunds."
    )
    bookable: bool = strawberry.field(
        default=True,
        description="Listing.quote (slotQuote): whether the host's terms let this stay "
        "(slot) be booked now "
        "(`violations` is empty): not in the past, within the units and maxGuests, and every "
        "booking rule kept. Whether the units are still free is Listing.availability's "
        "answer. A reservation's price: true.",
    )
    violations: list[UserError] = strawberry.field(
        default_factory=list,
        description="Listing.quote (slotQuote): each reason createReservation (bookSlot) "
        "would refuse this stay (slot) now, "
        "with the code it would answer: RULE_VIOLATED naming the rule in `field` (such as "
        '["minNights"]) and `message`, TOO_MANY_GUESTS, INVALID_DATES (a past start) or '
        "INVALID_INPUT (more units than the listing has). Empty when `bookable`.",
    )

    @classmethod
    def of(cls, snapshot: dict[str, Any], refusals: Sequence[DomainError] = ()) -> "Quote":
        currency = snapshot["currency"]
        policy = snapshot["policy"]
        return cls(
            line_items=[
                LineItem(
                    kind=item["kind"],
                    description=item.get("description", ""),
                    start_date=_date(item.get("startDate")),
                    end_date=_date(item.get("endDate")),
                    unit_price=Money.of(Decimal(item["unitPrice"]), currency),
                    quantity=item["quantity"],
                    amount=Money.of(Decimal(item["amount"]), currency),
                    included=bool(item.get("included")),
                )
                for item in snapshot["lineItems"]
            ],
            total=Money.of(Decimal(snapshot["total"]), currency),
            tax_total=Money.of(Decimal(snapshot.get("taxTotal", "0")), currency),
            voucher_code=(snapshot.get("voucher") or {}).get("code"),
            cancellation_policy=CancellationPolicy(
                free_cancellation_days=policy["freeCancellationDays"],
                late_refund_percent=policy["lateRefundPercent"],
                no_show_refund_percent=policy.get("noShowRefundPercent", 0),
            ),
            bookable=not refusals,
            violations=[UserError.from_domain(error) for error in refusals],
        )


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


@strawberry.type(description="What addPriceRule answers: the new rule, or why not.")
class PriceRulePayload:
    price_rule: PriceRule | None = strawberry.field(
        default=None, description="The new rule; null when errors is not empty."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why nothing changed (NOT_FOUND, FORBIDDEN, INVALID_INPUT, INVALID_DATES); "
        "empty on success.",
    )
