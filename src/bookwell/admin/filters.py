"""List filters sqladmin has no ready-made one for."""

from collections.abc import Callable
from typing import Any

from sqladmin._types import _UNSET, UnsetAny
from sqlalchemy import Select
from starlette.requests import Request

from bookwell.models import OutboxMessage


class DeliveryFilter:
    """Outbox rows by progress: waiting for the relay, relayed but not done, done."""

    has_operator = False
    template = "sqladmin/filters/lookup_filter.html"
    title = "Delivery"
    parameter_name = "delivery"
    default_value: UnsetAny = _UNSET  # sqladmin's "none": every row until one is chosen

    async def lookups(
        self, request: Request, model: Any, run_query: Callable[[Select], Any]
    ) -> list[tuple[str, str]]:
        return [
            ("__all", "All"),
            ("undelivered", "Undelivered"),
            ("unrelayed", "Not relayed yet"),
            ("delivered", "Delivered"),
        ]

    async def get_filtered_query(self, query: Select, value: Any, model: Any) -> Select:
        if value == "undelivered":
            return query.where(OutboxMessage.delivered_at.is_(None))
        if value == "unrelayed":
            return query.where(OutboxMessage.relayed_at.is_(None))
        if value == "delivered":
            return query.where(OutboxMessage.delivered_at.is_not(None))
        return query
