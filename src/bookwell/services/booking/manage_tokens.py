"""Manage links: what lets a guest who booked without an account see and change that one
booking (issue 17.7).

A manage token is a JWT signed with the app's secret key (like the access tokens of
services/accounts/tokens.py, with its own audience and `typ`, so neither passes for the
other): `sub` is the reservation, `ver` its `manage_token_version`, `exp` the booking's end
plus a grace. Signed, it needs no table: the answer to createReservation, an idempotent
replay of it and the confirmation email all show the same token. Counting the version up
revokes every token issued before, at once.

Its bearer is a Principal of the reservation's checkout user with `reservation_scope` set:
graphql/limits/manage_scope.py allows such a principal a few fields only, and
visibility.visible_to shows it that one reservation.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import jwt
from sqlalchemy import bindparam, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.config import Settings
from bookwell.models import Reservation, Role, User
from bookwell.services.accounts.principal import Principal
from bookwell.services.accounts.tokens import ALGORITHM, AccessTokens
from bookwell.services.booking.visibility import visible_to

TYP = "manage"


@dataclass(frozen=True, slots=True)
class ManageClaims:
    reservation_id: uuid.UUID
    version: int


@dataclass(frozen=True)
class ManageTokens:
    key: str
    issuer: str
    audience: str
    grace: timedelta
    url_template: str

    @classmethod
    def like(
        cls, access_tokens: AccessTokens, *, grace_days: int = 30, url_template: str = "{token}"
    ) -> "ManageTokens":
        """Signed with the access tokens' key and issuer, for an audience of its own."""
        return cls(
            key=access_tokens.key,
            issuer=access_tokens.issuer,
            audience=f"{access_tokens.audience}:manage",
            grace=timedelta(days=grace_days),
            url_template=url_template,
        )

    @classmethod
    def for_settings(cls, settings: Settings, key: str) -> "ManageTokens":
        """As the API issues them (graphql/booking/checkout.py), for the worker's emails."""
        return cls(
            key=key,
            issuer=settings.jwt_issuer,
            audience=f"{settings.jwt_audience}:manage",
            grace=timedelta(days=settings.manage_token_grace_days),
            url_template=settings.manage_url_template,
        )

    def issue(self, reservation_id: uuid.UUID, version: int, end_date: date) -> str:
        """The same token for the same reservation, version and end (no issue time): a
        replayed booking answers the token it answered first."""
        expires = datetime.combine(end_date, time(), UTC) + timedelta(days=1) + self.grace
        claims = {
            "typ": TYP,
            "sub": str(reservation_id),
            "ver": version,
            "iss": self.issuer,
            "aud": self.audience,
            "exp": expires,
        }
        return jwt.encode(claims, self.key, algorithm=ALGORITHM)

    def url(self, token: str) -> str:
        return self.url_template.replace("{token}", token)

    def claims(self, token: str, *, now: datetime | None = None) -> ManageClaims | None:
        """What a valid token says; None for anything else (bad signature, expired, an
        access token, a token of another audience)."""
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub", "typ", "ver"]},
            )
            version = claims["ver"]
            if claims["typ"] != TYP or not isinstance(version, int) or isinstance(version, bool):
                return None
            return ManageClaims(uuid.UUID(claims["sub"]), version)
        except (jwt.InvalidTokenError, ValueError, TypeError):
            return None


async def authenticate_link(
    *, session: AsyncSession, token: str, access_tokens: AccessTokens
) -> Principal | None:
    """For http/authentication.py: a bearer token that is no account's may be a manage
    link (checking one needs only the key the access tokens are signed with)."""
    return await authenticate(session=session, token=token, tokens=ManageTokens.like(access_tokens))


_HOLDER = (
    select(Reservation.guest_id, Reservation.manage_token_version)
    .join(User, User.id == Reservation.guest_id)
    .where(Reservation.id == bindparam("id"), User.checkout.is_(True))
)


async def authenticate(
    *, session: AsyncSession, token: str, tokens: ManageTokens
) -> Principal | None:
    """The principal a manage token stands for, or None when it is not valid now (revoked:
    its version is no longer the reservation's; or not a checkout booking)."""
    claims = tokens.claims(token)
    if claims is None:
        return None
    row = (await session.execute(_HOLDER, {"id": claims.reservation_id})).one_or_none()
    if row is None or row.manage_token_version != claims.version:
        return None
    return Principal(row.guest_id, Role.GUEST, reservation_scope=claims.reservation_id)


async def current_token(
    *, session: AsyncSession, tokens: ManageTokens, reservation_id: uuid.UUID
) -> str | None:
    """The live manage token of a checkout booking (for its answer or its email); None
    when the reservation was not booked without an account."""
    stmt = (
        select(Reservation.manage_token_version, Reservation.end_date)
        .join(User, User.id == Reservation.guest_id)
        .where(Reservation.id == reservation_id, User.checkout.is_(True))
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        return None
    return tokens.issue(reservation_id, row.manage_token_version, row.end_date)


async def manage_url(
    *, session: AsyncSession, tokens: ManageTokens, reservation_id: uuid.UUID
) -> str | None:
    """The link to put in the guest's email, rendered when the email is (workers/delivery.py):
    a link revoked since the event was recorded is not sent again."""
    token = await current_token(session=session, tokens=tokens, reservation_id=reservation_id)
    return tokens.url(token) if token is not None else None


async def revoke(*, session: AsyncSession, principal: Principal, reservation_id: uuid.UUID) -> bool:
    """Every manage link of the reservation stops working; False when the principal may
    not see it (the guest through its link, the listing's host, an admin may)."""
    stmt = update(Reservation).where(Reservation.id == reservation_id)
    if (condition := visible_to(principal)) is not None:
        stmt = stmt.where(condition)
    stmt = stmt.values(manage_token_version=Reservation.manage_token_version + 1).returning(
        Reservation.id
    )
    return (await session.execute(stmt)).first() is not None
