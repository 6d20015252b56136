import uuid
from datetime import UTC, datetime

import strawberry

from bookwell.core.ids import global_id
from bookwell.flows import accounts
from bookwell.graphql.context import Info
from bookwell.graphql.shared.enums import Role
from bookwell.graphql.shared.errors import UserError
from bookwell.graphql.shared.node import Node
from bookwell.services.accounts.records import ApiTokenRecord, UserRecord


@strawberry.type(description="An account: a guest, a host or an admin.")
class User(Node):
    database_id: uuid.UUID = strawberry.field(
        description="The user's UUIDv7 as stored (sortable by creation time), for SQL and "
        "analysts; inputs accept it wherever they take this user's id."
    )
    name: str = strawberry.field(description="The name they registered with.")
    role: Role = strawberry.field(description="What they may see and do.")
    _email: strawberry.Private[str]
    _phone: strawberry.Private[str | None]

    @strawberry.field(
        description="The full address for the user themself and admins; masked for others."
    )
    def email(self, info: Info) -> str:
        viewer = info.context.principal
        if viewer is not None and (viewer.is_admin or viewer.user_id == self.database_id):
            return self._email
        local, _, domain = self._email.partition("@")
        return f"{local[:1]}***@{domain}"

    @strawberry.field(
        description="The user's API tokens, newest first, revoked and expired ones included "
        "(never their values): for the user themself and admins, null for anyone else."
    )
    async def api_tokens(self, info: Info) -> list["ApiToken"] | None:
        viewer = info.context.principal
        if viewer is None or not (viewer.is_admin or viewer.user_id == self.database_id):
            return None
        tokens = await accounts.api_tokens_of(info.context.db, user_id=self.database_id)
        return [ApiToken.from_record(token) for token in tokens]

    @strawberry.field(
        description="Their phone number (E.164) for the user themself and admins; null for "
        "others (hosts see their guests' in `customers`) or when none was given."
    )
    def phone(self, info: Info) -> str | None:
        viewer = info.context.principal
        if viewer is not None and (viewer.is_admin or viewer.user_id == self.database_id):
            return self._phone
        return None

    @classmethod
    def as_booked(cls, row: UserRecord, guest_name: str) -> "User":
        """A reservation's guest: a checkout user (one row per address, shared by every
        host's bookings for it) as named on this booking, never the row's own name."""
        user = cls.from_row(row)
        if row.checkout:
            user.name = guest_name
        return user

    @classmethod
    def from_row(cls, row: UserRecord) -> "User":
        return cls(
            id=global_id("User", row.id),
            database_id=row.id,
            name=row.name,
            role=row.role,
            _email=row.email,
            _phone=row.phone,
        )


@strawberry.type(description="A long-lived API token, as its owner sees it later: never its value.")
class ApiToken:
    id: strawberry.ID = strawberry.field(
        description="What revokeApiToken(id:) takes to revoke this token."
    )
    name: str = strawberry.field(description="The owner's name for it.")
    created_at: datetime = strawberry.field(description="When it was made.")
    expires_at: datetime | None = strawberry.field(
        description="When it stops (or stopped) working; null: it lasts until revoked."
    )
    revoked_at: datetime | None = strawberry.field(
        description="When it was revoked; null while it is not."
    )

    @strawberry.field(description="True while it signs in: neither revoked nor expired.")
    def live(self) -> bool:
        if self.revoked_at is not None:
            return False
        return self.expires_at is None or self.expires_at > datetime.now(UTC)

    @classmethod
    def from_record(cls, token: ApiTokenRecord) -> "ApiToken":
        return cls(
            id=global_id("ApiToken", token.id),
            name=token.name,
            created_at=token.created_at,
            expires_at=token.expires_at,
            revoked_at=token.revoked_at,
        )


@strawberry.type(
    description="What register and login answer: an access token and its user, or why not."
)
class AuthPayload:
    access_token: str | None = strawberry.field(
        default=None,
        description="A token for the header `Authorization: Bearer <token>`, valid for an hour "
        "by default; null when errors is not empty.",
    )
    user: User | None = strawberry.field(
        default=None, description="The signed-in user; null when errors is not empty."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why not: INVALID_INPUT, EMAIL_TAKEN or FORBIDDEN (register), "
        "INVALID_CREDENTIALS (login); empty on success.",
    )


@strawberry.type(description="What createApiToken answers: the new token, or why not.")
class ApiTokenPayload:
    token: str | None = strawberry.field(
        default=None,
        description="A long-lived token for `Authorization: Bearer <token>`, shown once: keep it "
        "safe. Null when errors is not empty.",
    )
    api_token: ApiToken | None = strawberry.field(
        default=None,
        description="The token as `User.apiTokens` lists it (its id revokes it); null when "
        "errors is not empty.",
    )
    expires_at: datetime | None = strawberry.field(
        default=None,
        description="When the token stops working; null when it lasts until revoked (or when "
        "errors is not empty).",
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why not (INVALID_INPUT: a name of 1 to 200 characters, expiresInDays "
        "out of 1 to 3650); empty on success.",
    )


@strawberry.type(description="What updateProfile answers: your account as changed, or why not.")
class ProfilePayload:
    user: User | None = strawberry.field(
        default=None, description="Your account; null when errors is not empty."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why not (INVALID_INPUT: a name of 1 to 200 characters, a phone number "
        "that is not one); nothing is changed then. Empty on success.",
    )


@strawberry.type(description="What revokeApiToken answers: whether the token was revoked.")
class RevokeApiTokenPayload:
    revoked: bool = strawberry.field(
        description="True: the token no longer signs anyone in (from the next request on)."
    )
    errors: list[UserError] = strawberry.field(
        default_factory=list,
        description="Why not (NOT_FOUND: not a live API token of yours); empty on success.",
    )
