"""What a user changes of their own account: their name and phone number."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import InputErrors
from bookwell.models import User
from bookwell.services.accounts.accounts import checked_name
from bookwell.services.accounts.phones import normalized_phone
from bookwell.services.accounts.records import USER_COLUMNS, UserRecord


@dataclass(frozen=True, slots=True)
class ProfileChange:
    """None leaves a field as it is; `clear_phone` removes the phone number."""

    name: str | None = None
    phone: str | None = None
    clear_phone: bool = False


async def update_profile(
    *, session: AsyncSession, user_id: uuid.UUID, change: ProfileChange
) -> UserRecord:
    """The user as changed; INVALID_INPUT for every bad field at once, nothing written."""
    found = InputErrors()
    values: dict[str, Any] = {}
    if change.name is not None:
        values["name"] = found.check(checked_name, change.name)
    if change.phone is not None:
        values["phone"] = found.check(normalized_phone, change.phone)
    elif change.clear_phone:
        values["phone"] = None
    found.raise_if_any()
    # Nothing to change: name = name, the row as it is.
    stmt = (
        update(User)
        .where(User.id == user_id)
        .values(**(values or {"name": User.name}))
        .returning(*USER_COLUMNS)
    )
    return UserRecord(*(await session.execute(stmt)).one())
