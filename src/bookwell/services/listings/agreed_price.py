"""What a booked price snapshot promises: the tax in it, a change of dates priced under the
policy agreed at booking, and what a cancellation refunds."""

from collections.abc import Sequence
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from bookwell.services.listings.pricing import CENT, USED, Quote


def tax_of(snapshot: dict[str, Any]) -> Decimal:
    """The tax in a snapshot's total (0 for snapshots from before taxes)."""
    return Decimal(snapshot.get("taxTotal", "0"))


# What a change of dates kept of the nights it gave up, late (see `changed_quote`): never
# refunded by a cancellation, as the share of those nights a cancellation keeps is not.
LATE_CHANGE_FEE = "LATE_CHANGE_FEE"


def _sum(snapshot: dict[str, Any], kinds: Sequence[str]) -> Decimal:
    items = snapshot.get("lineItems", ())
    return sum(
        (Decimal(i["amount"]) for i in items if i["kind"] in kinds and not i.get("included")),
        Decimal(0),
    )


def agreed_start(snapshot: dict[str, Any], start_date: date) -> date:
    """The earliest start the guest agreed to: the booking's, or an earlier one it was
    moved from (kept in the policy by `changed_quote`). The penalty window counts from it."""
    recorded = (snapshot.get("policy") or {}).get("agreedStartDate")
    return min(date.fromisoformat(recorded), start_date) if recorded else start_date


def is_late(snapshot: dict[str, Any], start_date: date, today: date) -> bool:
    """Past the free cancellation deadline of the booking as first agreed."""
    days = (agreed_start(snapshot, start_date) - today).days
    free_days: int = snapshot["policy"]["freeCancellationDays"]
    return days < free_days


def changed_quote(
    *,
    agreed: dict[str, Any],
    start_date: date,
    new: Quote,
    new_start: date,
    today: date,
    penalised: bool,
) -> Quote:
    """The price of a reservation whose dates or quantity change: `new` (the nights and fees
    at today's rates) under the policy agreed at booking, which keeps the earliest start ever
    agreed (its penalty window never moves later). When `penalised` (a paid booking changed
    by its guest) inside that window, the policy's share of the nights given up is kept, as
    cancelling them would keep it: a LATE_CHANGE_FEE line, with what earlier changes kept.
    """
    policy = dict(agreed.get("policy") or new.snapshot["policy"])
    first = agreed_start(agreed, start_date)
    policy["agreedStartDate"] = min(first, new_start).isoformat()
    kept = _sum(agreed, (LATE_CHANGE_FEE,))
    if penalised and agreed.get("policy") and is_late(agreed, start_date, today):
        given_up = max(_sum(agreed, USED) - _sum(new.snapshot, USED), Decimal(0))
        share = Decimal(100 - policy["lateRefundPercent"]) / 100
        kept += (given_up * share).quantize(CENT, rounding=ROUND_HALF_UP)
    items = list(new.snapshot["lineItems"])
    if kept:
        items.append(
            {
                "kind": LATE_CHANGE_FEE,
                "description": "Kept of the nights given up after the free cancellation deadline",
                "unitPrice": str(kept),
                "quantity": 1,
                "amount": str(kept),
            }
        )
    total = (new.total + kept).quantize(CENT)
    snapshot = {**new.snapshot, "lineItems": items, "total": str(total), "policy": policy}
    return Quote(total, snapshot)


def refund_due(
    *, snapshot: dict[str, Any], start_date: date, today: date, by_host: bool
) -> Decimal:
    """What goes back to the guest when a reservation is cancelled on `today` (listing time),
    of its current price (what earlier changes of dates refunded is not counted here).

    The host cancelling refunds everything. A guest gets everything back until
    `freeCancellationDays` before the earliest check-in they agreed to (`agreed_start`);
    later, `lateRefundPercent` of the nights (or slots), and fees in full (nothing was
    cleaned) except what late changes kept (LATE_CHANGE_FEE).
    """
    total = Decimal(snapshot["total"])
    if by_host:
        return total
    kept = _sum(snapshot, (LATE_CHANGE_FEE,))
    if not is_late(snapshot, start_date, today):
        return total - kept
    nights = _sum(snapshot, USED)
    fees = total - nights - kept
    late = nights * Decimal(snapshot["policy"]["lateRefundPercent"]) / 100
    return (late + fees).quantize(CENT, rounding=ROUND_HALF_UP)
