"""What PostgreSQL may write of a listing's booking rules, their seasons and its taxes for
the compiled read path (graphql/engine/compiler/declarations.py): each column exactly as the
API writes it (graphql/listings/booking_rules.py, taxes.py, pricing.py)."""

from sqlalchemy import Text, case, cast, func, literal_column, null

from bookwell.core.json_rows import global_id_of
from bookwell.core.statements import AnyColumn
from bookwell.models import BookingRule, ListingTax, PriceRule

# A season and the rules of a row (the listing's own, or a season's); weekdays are arrays
# of small integers, written by to_json as the API writes a list of Int.
BOOKING_RULE_FIELDS: dict[str, AnyColumn] = {
    "id": global_id_of("BookingRuleSeason", BookingRule.id),
    "database_id": cast(BookingRule.id, Text),
    "name": func.coalesce(BookingRule.name, ""),
    "start_date": BookingRule.start_date,
    "end_date": BookingRule.end_date,
    "min_nights": BookingRule.min_nights,
    "max_nights": BookingRule.max_nights,
    "min_notice_hours": BookingRule.min_notice_hours,
    "booking_window_days": BookingRule.booking_window_days,
    "arrival_weekdays": BookingRule.arrival_weekdays,
    "departure_weekdays": BookingRule.departure_weekdays,
}
RULES = (
    "min_nights",
    "max_nights",
    "min_notice_hours",
    "booking_window_days",
    "arrival_weekdays",
    "departure_weekdays",
)

TAX_FIELDS: dict[str, AnyColumn] = {
    "name": ListingTax.name,
    "kind": ListingTax.kind,  # stored as its name
    # charges.plain: no trailing zeros ("7" for 7.0000), no exponent.
    "rate": cast(func.trim_scale(ListingTax.rate), Text),
    "amount": cast(ListingTax.amount, Text),  # numeric(12, 2): "2.50"
    # A tax's money is in its listing's currency: the listing row around the tax's.
    "currency": literal_column("listings.currency"),
    "inclusive": ListingTax.inclusive,
}

PRICE_RULE_FIELDS: dict[str, AnyColumn] = {
    "id": global_id_of("PriceRule", PriceRule.id),
    "database_id": cast(PriceRule.id, Text),
    "name": PriceRule.name,
    "start_date": PriceRule.start_date,
    "end_date": PriceRule.end_date,
    # PriceRule.from_row: no weekdays (NULL or an empty array) is null, every day.
    "weekdays": case((func.cardinality(PriceRule.weekdays) == 0, null()), else_=PriceRule.weekdays),
    "nightly_amount": cast(PriceRule.nightly_price, Text),  # numeric(12, 2): "120.00"
    # In its listing's currency, as a tax's.
    "currency": literal_column("listings.currency"),
}
