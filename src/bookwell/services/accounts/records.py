"""What the accounts services return."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from bookwell.core.records import columns_for
from bookwell.models import ApiToken, Role, User


@dataclass(frozen=True, slots=True)
class UserRecord:
    id: uuid.UUID
    email: str
    name: str
    role: Role
    created_at: datetime
    phone: str | None
    # A checkout user (services/accounts/checkout.py): one row shared by every booking of an
    # address, whose contact details are each booking's own (reservations.guest_name, guest_phone).
    checkout: bool = False


@dataclass(frozen=True, slots=True)
class NewApiToken:
    """A token just made: the only time its value is known."""

    id: uuid.UUID
    token: str
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class ApiTokenRecord:
    """An API token as its owner sees it later: never its value (only a hash is kept)."""

    id: uuid.UUID
    name: str
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None


# Never the password hash.
USER_COLUMNS = columns_for(UserRecord, User.__table__)
API_TOKEN_COLUMNS = columns_for(ApiTokenRecord, ApiToken.__table__)
