"""What the accounts services return."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from bookwell.core.records import columns_for
from bookwell.models import Role, User


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: uuid.UUID
    email: str
    name: str
    role: Role
    created_at: datetime


@dataclass(frozen=True, slots=True)
class NewApiToken:
    """A token just made: the only time its value is known."""

    token: str
    expires_at: datetime | None


# Never the password hash.
USER_COLUMNS = columns_for(UserRecord, User.__table__)
