"""Bearer tokens: short-lived signed JWT access tokens, and long-lived API tokens (UUIDs)."""

import hashlib
import time
import uuid
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

import jwt

ALGORITHM = "HS256"

P = TypeVar("P")


@dataclass(frozen=True)
class AccessTokens:
    """Issues and checks JWT access tokens: signature, exp, iss and aud, one pinned algorithm."""

    key: str
    issuer: str
    audience: str
    ttl: timedelta

    def issue(self, user_id: uuid.UUID, *, now: datetime | None = None) -> str:
        now = now or datetime.now(UTC)
        claims = {
            "sub": str(user_id),
            "iss": self.issuer,
            "aud": self.audience,
            "iat": now,
            "exp": now + self.ttl,
        }
        return jwt.encode(claims, self.key, algorithm=ALGORITHM)

    def user_id(self, token: str) -> uuid.UUID | None:
        """The token's subject, or None when the token is not valid now."""
        try:
            claims = jwt.decode(
                token,
                self.key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
            return uuid.UUID(claims["sub"])
        except (jwt.InvalidTokenError, ValueError):
            return None


def new_api_token() -> str:
    # uuid4, not uuid7: a bearer secret must be unguessable (122 random bits).
    return str(uuid.uuid4())


def parse_api_token(token: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(token)
    except ValueError:
        return None


def hash_api_token(token: uuid.UUID) -> bytes:
    # A fast hash is right here: the token has 122 random bits, nothing to brute-force.
    return hashlib.sha256(token.bytes).digest()


class PrincipalCache(Generic[P]):
    """Who a valid bearer token stood for, remembered `seconds` (issue 18: a booking then
    asks the database nothing to know who books). Only answers found valid are kept: an
    unknown or revoked token is asked about every time. A revocation through this process
    forgets every cache at once (`forget_all_principals`); one made elsewhere (the CLI, the
    admin, another replica) is honoured when the entry runs out."""

    def __init__(self, seconds: float, *, max_entries: int = 10_000):
        self.seconds = seconds
        self.max_entries = max_entries
        self._entries: dict[object, tuple[float, P]] = {}
        _caches.add(self)

    def get(self, key: object) -> P | None:
        found = self._entries.get(key)
        if found is None:
            return None
        until, principal = found
        if time.monotonic() >= until:
            self._entries.pop(key, None)
            return None
        return principal

    def keep(self, key: object, principal: P) -> None:
        if self.seconds <= 0:
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # rare: cheaper than an eviction order kept on every hit
        self._entries[key] = (time.monotonic() + self.seconds, principal)

    def forget(self) -> None:
        self._entries.clear()


_caches: "weakref.WeakSet[PrincipalCache[Any]]" = weakref.WeakSet()


def forget_all_principals() -> None:
    """Every cache of this process forgets every token: after a revocation (or a demotion)
    made here, no request answered afterwards uses what was remembered before it."""
    for cache in list(_caches):
        cache.forget()
