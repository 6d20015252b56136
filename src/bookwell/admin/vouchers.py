"""Vouchers at /admin/voucher: staff list, search and filter every host's codes, make one for a
host, change or delete one. Each change is made as the voucher's owner would make it through
the API (services/vouchers): the same checks (value in Decimal with 2 places, a percentage at
most 100, validity dates in order, a usage limit of at least 1, listings of the owner's only),
and a code some booking was made with is deactivated, not deleted."""

import uuid
from typing import Any, ClassVar

from sqladmin.filters import BooleanFilter, ForeignKeyFilter, StaticValuesFilter
from sqlalchemy import func, select
from starlette.requests import Request
from wtforms import BooleanField, Form, IntegerField, SelectField, StringField  # type: ignore[import-untyped]
from wtforms.validators import DataRequired, Optional  # type: ignore[import-untyped]

from bookwell.admin.form_views import FormEdited, through
from bookwell.admin.parsing import decimal_or_none, ids_or_none, instant_or_none, one_id
from bookwell.admin.views import _labels
from bookwell.flows import vouchers as voucher_flows
from bookwell.models import User, Voucher, VoucherKind
from bookwell.services.accounts.principal import Principal
from bookwell.services.vouchers.vouchers import NewVoucher

KINDS = [(kind.value, kind.value.capitalize()) for kind in VoucherKind]


class VoucherEditForm(Form):
    kind = SelectField("Kind", choices=KINDS, validators=[DataRequired()])
    value = StringField("Value (PERCENT: 10 for 10 %; FIXED: such as 25.00)", [DataRequired()])
    valid_from = StringField("Valid from (ISO 8601 with offset; empty: at once)", [Optional()])
    valid_until = StringField("Valid until (empty: never)", [Optional()])
    usage_limit = IntegerField("Usage limit (empty: no limit)", [Optional()])
    listing_ids = StringField("Listing IDs, comma-separated (empty: all the host's)", [Optional()])
    active = BooleanField("Active", default=True)


class VoucherCreateForm(VoucherEditForm):
    owner = StringField("Host (email or user ID)", validators=[DataRequired()])
    code = StringField("Code (3 to 50 letters, digits, - or _)", validators=[DataRequired()])


def _terms(data: dict, code: str) -> NewVoucher:
    """The form's terms; ValueError (shown on the form) for what is not even a value."""
    value = decimal_or_none(data.get("value"), "value")
    if value is None:
        raise ValueError("value: required.")
    return NewVoucher(
        code=code,
        kind=VoucherKind(str(data.get("kind"))),
        value=value,
        valid_from=instant_or_none(data.get("valid_from"), "valid from"),
        valid_until=instant_or_none(data.get("valid_until"), "valid until"),
        usage_limit=data.get("usage_limit"),
        listing_ids=ids_or_none(data.get("listing_ids"), "listing IDs"),
        active=bool(data.get("active")),
    )


async def _as_owner(request: Request, owner: str) -> Principal:
    """The voucher's owner as the API would see them (their role decides, as there)."""
    owner = owner.strip()
    if "@" in owner:
        where = func.lower(User.email) == owner.lower()
    else:
        where = User.id == one_id(owner, "Host")
    async with request.state.db.read() as session:
        found = (await session.execute(select(User.id, User.role).where(where))).one_or_none()
    if found is None:
        raise ValueError("Host: no such user.")
    return Principal(found.id, found.role)


async def _owner_of(request: Request, voucher_id: uuid.UUID) -> Principal:
    async with request.state.db.read() as session:
        owner_id = await session.scalar(select(Voucher.owner_id).where(Voucher.id == voucher_id))
    if owner_id is None:
        raise ValueError("No voucher with that id.")
    return await _as_owner(request, str(owner_id))


class VoucherAdmin(FormEdited, model=Voucher):
    name, name_plural, icon = "Voucher", "Vouchers", "fa-solid fa-ticket"
    create_form, edit_form = VoucherCreateForm, VoucherEditForm
    column_list: ClassVar = [
        Voucher.code,
        Voucher.owner_id,
        Voucher.kind,
        Voucher.value,
        Voucher.valid_from,
        Voucher.valid_until,
        Voucher.usage_limit,
        Voucher.listing_ids,
        Voucher.active,
        Voucher.id,
    ]
    column_labels: ClassVar = _labels(
        column_list, owner_id="Host ID", listing_ids="Listings (empty: all)", id="ID"
    )
    column_searchable_list: ClassVar = [Voucher.code]
    column_sortable_list: ClassVar = [Voucher.code, Voucher.valid_until, Voucher.created_at]
    column_default_sort: ClassVar = [(Voucher.created_at, True)]
    column_filters: ClassVar = [
        ForeignKeyFilter(Voucher.owner_id, User.email, title="Host"),
        StaticValuesFilter(Voucher.kind, KINDS, title="Kind"),
        BooleanFilter(Voucher.active, title="Active"),
    ]
    form_create_rules: ClassVar = [
        "owner", "code", "kind", "value", "valid_from", "valid_until", "usage_limit",
        "listing_ids", "active",
    ]  # fmt: skip
    form_edit_rules: ClassVar = form_create_rules[2:]

    async def get_form_data_for_edit(self, obj: Any) -> dict[str, Any]:
        return {
            "kind": obj.kind.value,
            "value": str(obj.value),
            "valid_from": obj.valid_from.isoformat() if obj.valid_from else "",
            "valid_until": obj.valid_until.isoformat() if obj.valid_until else "",
            "usage_limit": obj.usage_limit,
            "listing_ids": ", ".join(str(each) for each in obj.listing_ids or []),
            "active": obj.active,
        }

    async def insert_model(self, request: Request, data: dict) -> Any:
        owner = await _as_owner(request, str(data.get("owner") or ""))
        terms = _terms(data, str(data.get("code") or "").strip())
        made = await through(
            voucher_flows.create_voucher(request.state.db, principal=owner, new=terms)
        )
        return Voucher(id=made.id)  # sqladmin only reads its primary key

    async def update_model(self, request: Request, pk: str, data: dict) -> Any:
        voucher_id = one_id(pk, "Voucher")
        owner = await _owner_of(request, voucher_id)
        made = await through(
            voucher_flows.edit_voucher(
                request.state.db,
                principal=owner,
                voucher_id=voucher_id,
                edited=_terms(data, code=""),
            )
        )
        return Voucher(id=made.id)

    async def delete_model(self, request: Request, pk: Any) -> None:
        voucher_id = one_id(pk, "Voucher")
        owner = await _owner_of(request, voucher_id)
        await through(
            voucher_flows.delete_voucher(request.state.db, principal=owner, voucher_id=voucher_id)
        )
