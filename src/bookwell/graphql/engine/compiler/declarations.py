"""One declaration per GraphQL object type the compiler writes: its table, the service's
JSON_FIELDS (each column exactly as the API writes it) and the vocabulary that names them
as GraphQL fields (graphql/engine/json_pages.py, made from the same JSON_FIELDS)."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table

from bookwell.core.statements import AnyColumn
from bookwell.graphql.engine.compiler.parts import Column
from bookwell.graphql.engine.compiler.sql import expression, verbatim
from bookwell.graphql.engine.json_pages import (
    LISTING,
    RESERVATION,
    USER,
    Vocabulary,
    money,
    vocabulary,
)
from bookwell.models import BookingRule, Listing, ListingTax, PriceRule, Reservation, User
from bookwell.services.accounts.user_json import JSON_FIELDS as USER_FIELDS
from bookwell.services.booking.reservation_json import JSON_FIELDS as RESERVATION_FIELDS
from bookwell.services.calendar.blackout_json import JSON_FIELDS as BLACKOUT_FIELDS
from bookwell.services.listings.listing_json import JSON_FIELDS as LISTING_FIELDS
from bookwell.services.listings.terms_json import (
    BOOKING_RULE_FIELDS,
    PRICE_RULE_FIELDS,
    RULES,
    TAX_FIELDS,
)


@dataclass(frozen=True)
class Declaration:
    vocabulary: Vocabulary
    table: Table
    columns: Mapping[str, AnyColumn]
    _sql: dict[str, str] = field(default_factory=dict, compare=False)

    def column(self, name: str) -> str:
        """The column `name` of JSON_FIELDS as SQL text over the table's current row."""
        found = self._sql.get(name)
        if found is None:
            found = self._sql[name] = expression(self.columns[name], self.table)
        return found

    def value(self, name: str) -> Column:
        """The column `name` as the JSON value the API writes."""
        return Column(self.column(name), verbatim(self.columns[name]))


def _table(model: Any) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


BOOKING_RULES = vocabulary("BookingRules", RULES)
SEASON = vocabulary("BookingRuleSeason", BOOKING_RULE_FIELDS, {"rules": BOOKING_RULES})
TAX = vocabulary(
    "Tax",
    TAX_FIELDS,
    {"amount": Vocabulary("Money", money("amount").fields, null_unless="amount")},
)
PRICE_RULE = vocabulary("PriceRule", PRICE_RULE_FIELDS, {"nightlyPrice": money("nightly_amount")})

DECLARATIONS = {
    "Listing": Declaration(LISTING, _table(Listing), LISTING_FIELDS),
    "Reservation": Declaration(RESERVATION, _table(Reservation), RESERVATION_FIELDS),
    "User": Declaration(USER, _table(User), USER_FIELDS),
    "BookingRules": Declaration(BOOKING_RULES, _table(BookingRule), BOOKING_RULE_FIELDS),
    "BookingRuleSeason": Declaration(SEASON, _table(BookingRule), BOOKING_RULE_FIELDS),
    "Tax": Declaration(TAX, _table(ListingTax), TAX_FIELDS),
    "PriceRule": Declaration(PRICE_RULE, _table(PriceRule), PRICE_RULE_FIELDS),
    "Blackout": Declaration(
        vocabulary("Blackout", BLACKOUT_FIELDS), _table(Reservation), BLACKOUT_FIELDS
    ),
}
