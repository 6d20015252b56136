"""Admin views whose changes go through the flows as the API's do (taxes, vouchers): one
form to create (naming what the row belongs to: a listing, a host) and one to edit, and a
service's refusal shown on the form."""

from collections.abc import Awaitable
from typing import ClassVar, TypeVar

from wtforms import Form  # type: ignore[import-untyped]

from bookwell.admin.parsing import refused
from bookwell.admin.views import ReadOnly
from bookwell.core.errors import DomainError

T = TypeVar("T")


class FormEdited(ReadOnly):
    """Created with `create_form`, changed with `edit_form`, and deleted."""

    can_create = can_edit = can_delete = True
    create_form: ClassVar[type[Form]]
    edit_form: ClassVar[type[Form]]

    async def scaffold_form(self, rules: list[str] | None = None) -> type[Form]:
        # sqladmin asks for a form by the create or the edit rules: tell them apart.
        return self.edit_form if rules == self.form_edit_rules else self.create_form


async def through(work: Awaitable[T]) -> T:
    """What the flow `work` returns; its refusal (a DomainError) shown on the form."""
    try:
        return await work
    except DomainError as error:
        raise refused(error) from None
