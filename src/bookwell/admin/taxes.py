"""Listings' taxes at /admin/listing-tax: staff list and search them, add one to any listing,
change or remove one (services/listings/tax_edits.py, as the signed-in admin): the checks of
the API's setListingTaxes (rate 0 to 100 with 4 decimals, amount in Decimal with 2, at most 10
a listing), under the listing's lock."""

import uuid
from typing import Any, ClassVar

from sqladmin.filters import BooleanFilter, ForeignKeyFilter, StaticValuesFilter
from starlette.requests import Request
from wtforms import BooleanField, Form, SelectField, StringField  # type: ignore[import-untyped]
from wtforms.validators import DataRequired, Optional  # type: ignore[import-untyped]

from bookwell.admin.form_views import FormEdited, through
from bookwell.admin.parsing import decimal_or_none, one_id
from bookwell.admin.views import _labels
from bookwell.flows import listings as listing_flows
from bookwell.models import Listing, ListingTax, TaxKind
from bookwell.services.listings.charges import Tax

KINDS = [(kind.value, kind.value.replace("_", " ").capitalize()) for kind in TaxKind]


class TaxEditForm(Form):
    name = StringField("Name (VAT, Tourist tax)", validators=[DataRequired()])
    kind = SelectField("Kind", choices=KINDS, validators=[DataRequired()])
    rate = StringField("Rate in percent (PERCENT: 0 to 100, such as 7 or 19.6)", [Optional()])
    amount = StringField(
        "Amount per person and night (PER_PERSON_NIGHT, such as 2.50)", [Optional()]
    )
    inclusive = BooleanField("Already in the price (inclusive)")


class TaxCreateForm(TaxEditForm):
    listing_id = StringField("Listing ID", validators=[DataRequired()])


def _tax(data: dict) -> Tax:
    return Tax(
        name=str(data.get("name") or ""),
        kind=TaxKind(str(data.get("kind"))),
        inclusive=bool(data.get("inclusive")),
        rate=decimal_or_none(data.get("rate"), "rate"),
        amount=decimal_or_none(data.get("amount"), "amount"),
    )


class TaxAdmin(FormEdited, model=ListingTax):
    name, name_plural, icon = "Tax", "Taxes", "fa-solid fa-percent"
    create_form, edit_form = TaxCreateForm, TaxEditForm
    column_list: ClassVar = [
        ListingTax.listing_id,
        ListingTax.position,
        ListingTax.name,
        ListingTax.kind,
        ListingTax.rate,
        ListingTax.amount,
        ListingTax.inclusive,
        ListingTax.id,
    ]
    column_labels: ClassVar = _labels(
        column_list, listing_id="Listing ID", position="Order", rate="Rate (%)", id="ID"
    )
    column_searchable_list: ClassVar = [ListingTax.name]
    column_sortable_list: ClassVar = [ListingTax.name, ListingTax.kind, ListingTax.position]
    column_default_sort: ClassVar = [(ListingTax.listing_id, False), (ListingTax.position, False)]
    column_filters: ClassVar = [
        ForeignKeyFilter(ListingTax.listing_id, Listing.title, title="Listing"),
        StaticValuesFilter(ListingTax.kind, KINDS, title="Kind"),
        BooleanFilter(ListingTax.inclusive, title="Inclusive"),
    ]
    form_create_rules: ClassVar = ["listing_id", "name", "kind", "rate", "amount", "inclusive"]
    form_edit_rules: ClassVar = ["name", "kind", "rate", "amount", "inclusive"]

    async def insert_model(self, request: Request, data: dict) -> Any:
        listing_id = one_id(data.get("listing_id"), "Listing ID")
        made = await through(
            listing_flows.add_listing_tax(
                request.state.db,
                principal=request.state.principal,
                listing_id=listing_id,
                tax=_tax(data),
            )
        )
        return ListingTax(id=made)  # sqladmin only reads its primary key

    async def update_model(self, request: Request, pk: str, data: dict) -> Any:
        made = await through(
            listing_flows.replace_listing_tax(
                request.state.db,
                principal=request.state.principal,
                tax_id=uuid.UUID(pk),
                tax=_tax(data),
            )
        )
        return ListingTax(id=made)

    async def delete_model(self, request: Request, pk: Any) -> None:
        await through(
            listing_flows.replace_listing_tax(
                request.state.db,
                principal=request.state.principal,
                tax_id=uuid.UUID(str(pk)),
                tax=None,
            )
        )
