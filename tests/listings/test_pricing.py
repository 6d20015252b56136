from datetime import date
from decimal import Decimal

from bookwell.services.listings.agreed_price import refund_due
from bookwell.services.listings.pricing import Rule, Terms, quote
from bookwell.services.listings.stays import Stay

# 2031-01-03 is a Friday.
WEEKEND = Rule("Weekend", Decimal("150.00"), weekdays=frozenset({5, 6}))
WINTER = Rule("Winter", Decimal("90.00"), start_date=date(2031, 1, 5), end_date=date(2031, 1, 8))


def terms(*rules: Rule, cleaning_fee: str = "0") -> Terms:
    return Terms(
        nightly_price=Decimal("100.00"),
        currency="EUR",
        cleaning_fee=Decimal(cleaning_fee),
        free_cancellation_days=3,
        late_refund_percent=40,
        timezone="Europe/Paris",
        rules=rules,
    )


def test_base_price_times_nights_and_units():
    priced = quote(terms(), Stay(date(2031, 1, 6), date(2031, 1, 9)), 2)
    assert priced.total == Decimal("600.00")
    assert [item["amount"] for item in priced.snapshot["lineItems"]] == ["600.00"]


def test_nights_are_grouped_into_runs_of_one_price():
    priced = quote(terms(WEEKEND), Stay(date(2031, 1, 2), date(2031, 1, 7)), 1)
    items = priced.snapshot["lineItems"]
    assert [(i["startDate"], i["endDate"], i["unitPrice"]) for i in items] == [
        ("2031-01-02", "2031-01-03", "100.00"),
        ("2031-01-03", "2031-01-05", "150.00"),
        ("2031-01-05", "2031-01-07", "100.00"),
    ]
    assert priced.total == Decimal("600.00")


def test_the_newest_matching_rule_wins():
    # Sunday 2031-01-05 is in both the winter season and (for this rule) the weekend.
    sunday_weekend = Rule("Weekend", Decimal("150.00"), weekdays=frozenset({7}))
    newest_first = terms(WINTER, sunday_weekend)
    assert quote(newest_first, Stay(date(2031, 1, 5), date(2031, 1, 6)), 1).total == 90
    oldest_first = terms(sunday_weekend, WINTER)
    assert quote(oldest_first, Stay(date(2031, 1, 5), date(2031, 1, 6)), 1).total == 150


def test_season_end_is_exclusive():
    priced = quote(terms(WINTER), Stay(date(2031, 1, 7), date(2031, 1, 9)), 1)
    assert priced.total == Decimal("190.00")


def test_cleaning_fee_per_unit_and_snapshot_holds_the_policy():
    priced = quote(terms(cleaning_fee="25.50"), Stay(date(2031, 1, 6), date(2031, 1, 7)), 2)
    assert priced.total == Decimal("251.00")
    assert priced.snapshot["lineItems"][-1]["kind"] == "CLEANING_FEE"
    assert priced.snapshot["policy"] == {
        "freeCancellationDays": 3,
        "lateRefundPercent": 40,
        "noShowRefundPercent": 0,
    }
    assert priced.snapshot["total"] == "251.00"
    assert priced.snapshot["currency"] == "EUR"


def _snapshot():
    return quote(terms(cleaning_fee="30"), Stay(date(2031, 1, 10), date(2031, 1, 12)), 1).snapshot


def test_full_refund_until_the_free_cancellation_deadline():
    due = refund_due(
        snapshot=_snapshot(), start_date=date(2031, 1, 10), today=date(2031, 1, 7), by_host=False
    )
    assert due == Decimal("230.00")


def test_late_cancellation_refunds_a_share_of_nights_and_fees_in_full():
    due = refund_due(
        snapshot=_snapshot(), start_date=date(2031, 1, 10), today=date(2031, 1, 8), by_host=False
    )
    assert due == Decimal("110.00")  # 40% of 200 + 30


def test_the_host_cancelling_refunds_everything():
    due = refund_due(
        snapshot=_snapshot(), start_date=date(2031, 1, 10), today=date(2031, 1, 10), by_host=True
    )
    assert due == Decimal("230.00")


def test_refunds_round_half_up_to_cents():
    snapshot = quote(terms(), Stay(date(2031, 1, 6), date(2031, 1, 7)), 1).snapshot
    snapshot["lineItems"][0]["amount"] = "0.05"
    snapshot["total"] = "0.05"
    snapshot["policy"]["lateRefundPercent"] = 50
    due = refund_due(
        snapshot=snapshot, start_date=date(2031, 1, 6), today=date(2031, 1, 6), by_host=False
    )
    assert due == Decimal("0.03")
