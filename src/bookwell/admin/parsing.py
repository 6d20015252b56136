"""Form values as the API reads them: decimals (never floats), instants with an offset, ids."""

import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from bookwell.core.errors import DomainError


def decimal_or_none(value: Any, label: str) -> Decimal | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValueError(f"{label}: not a decimal number such as 7 or 2.50.") from None
    if not number.is_finite():
        raise ValueError(f"{label}: not a decimal number such as 7 or 2.50.")
    return number


def instant_or_none(value: Any, label: str) -> datetime | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        found = datetime.fromisoformat(text)
    except ValueError:
        found = None
    if found is None or found.tzinfo is None:
        raise ValueError(
            f"{label}: a date and time with its offset, such as 2027-03-05T00:00+01:00."
        )
    return found


def one_id(value: Any, label: str) -> uuid.UUID:
    try:
        return uuid.UUID(str(value or "").strip())
    except ValueError:
        raise ValueError(f"{label}: not an id (a UUID, as the lists show).") from None


def ids_or_none(value: Any, label: str) -> list[uuid.UUID] | None:
    """Comma- or space-separated ids; empty: None."""
    parts = [part for part in str(value or "").replace(",", " ").split() if part]
    return [one_id(part, label) for part in parts] or None


def refused(error: DomainError) -> ValueError:
    """The service's refusal as the form shows it (sqladmin shows a ValueError's text)."""
    return ValueError(
        " ".join(
            f"{'.'.join(each.field)}: {each.message}" if each.field else each.message
            for each in error.errors
        )
    )
