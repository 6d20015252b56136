"""Taxes and discounts on a price: pure functions of Decimals, no database, no floats.

A discount (a voucher) comes off the nights only, never below zero; taxes are then computed
on what is left of the price (nights and fees): a PERCENT tax on that amount, a
PER_PERSON_NIGHT tax on persons x nights. An exclusive tax is added to the total; an
inclusive one is already in the price and is shown (`included`) without being added.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bookwell.models import TaxKind
from bookwell.models import VoucherKind as DiscountKind

CENT = Decimal("0.01")
HUNDRED = Decimal(100)
TAX = "TAX"
DISCOUNT = "DISCOUNT"


@dataclass(frozen=True, slots=True)
class Tax:
    name: str
    kind: TaxKind
    inclusive: bool
    rate: Decimal | None = None  # PERCENT: 7 for 7 %
    amount: Decimal | None = None  # PER_PERSON_NIGHT: per person and night


@dataclass(frozen=True, slots=True)
class Discount:
    code: str
    kind: DiscountKind
    value: Decimal  # PERCENT: 10 for 10 %; FIXED: an amount in the listing's currency

    def as_json(self) -> dict[str, str]:
        return {"code": self.code, "kind": self.kind.value, "value": str(self.value)}

    @classmethod
    def from_json(cls, item: dict[str, Any] | None) -> "Discount | None":
        if not item:
            return None
        return cls(item["code"], DiscountKind(item["kind"]), Decimal(item["value"]))


def plain(number: Decimal) -> str:
    """Without trailing zeros or an exponent: "10" for 10.00, "8.875" for 8.8750."""
    return format(number.normalize(), "f")


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def discount_amount(discount: Discount, nights_amount: Decimal) -> Decimal:
    """What comes off `nights_amount` (never more than it)."""
    if discount.kind is DiscountKind.PERCENT:
        off = _cents(nights_amount * discount.value / HUNDRED)
    else:
        off = discount.value
    return min(off, nights_amount)


def discount_line(discount: Discount, nights_amount: Decimal) -> dict[str, Any]:
    off = discount_amount(discount, nights_amount)
    label = f"{plain(discount.value)}%" if discount.kind is DiscountKind.PERCENT else "off"
    return {
        "kind": DISCOUNT,
        "description": f"Voucher {discount.code} ({label})",
        "unitPrice": str(-off),
        "quantity": 1,
        "amount": str(-off),
    }


def tax_amount(tax: Tax, *, taxable: Decimal, persons: int, nights: int) -> Decimal:
    """One tax on a price of `taxable` (what the guest pays before exclusive taxes), for
    `persons` people over `nights` nights."""
    if tax.kind is TaxKind.PER_PERSON_NIGHT:
        assert tax.amount is not None
        return _cents(tax.amount * persons * nights)
    assert tax.rate is not None
    if tax.inclusive:  # the share of a gross price: 7 % VAT is 7/107 of it
        return _cents(taxable * tax.rate / (HUNDRED + tax.rate))
    return _cents(taxable * tax.rate / HUNDRED)


def tax_lines(
    taxes: Sequence[Tax], *, taxable: Decimal, persons: int, nights: int, per_booking: bool = False
) -> list[dict[str, Any]]:
    """A line per tax; `included` lines are in the price already and add nothing.
    `per_booking` (a slot booking, counted as one night): its description names no nights."""
    lines = []
    for tax in taxes:
        amount = tax_amount(tax, taxable=taxable, persons=persons, nights=nights)
        if tax.kind is TaxKind.PER_PERSON_NIGHT:
            assert tax.amount is not None
            unit, quantity = tax.amount, persons * nights
            what = f"{tax.name} ({persons} person(s) x {nights} night(s))"
            if per_booking:
                what = f"{tax.name} ({persons} person(s))"
        else:
            unit, quantity = amount, 1
            what = f"{tax.name} ({plain(tax.rate or Decimal(0))}%)"
        lines.append(
            {
                "kind": TAX,
                "description": what + (" included" if tax.inclusive else ""),
                "unitPrice": str(unit),
                "quantity": quantity,
                "amount": str(amount),
                "included": tax.inclusive,
            }
        )
    return lines


def lines_total(items: Sequence[dict[str, Any]]) -> Decimal:
    """What the guest pays: every line but those already included in another."""
    amounts = (Decimal(item["amount"]) for item in items if not item.get("included"))
    return _cents(sum(amounts, Decimal(0)))


def taxes_in(items: Sequence[dict[str, Any]]) -> Decimal:
    """The tax in a price, added or included."""
    return _cents(sum((Decimal(i["amount"]) for i in items if i["kind"] == TAX), Decimal(0)))


def taxes_from_json(items: Sequence[dict[str, Any]]) -> list[Tax]:
    """From taxes_json (services/listings/pricing.py): numbers come as text, never floats."""
    return [
        Tax(
            name=item["name"],
            kind=TaxKind(item["kind"]),
            inclusive=item["inclusive"],
            rate=None if item["rate"] is None else Decimal(item["rate"]),
            amount=None if item["amount"] is None else Decimal(item["amount"]),
        )
        for item in items
    ]
