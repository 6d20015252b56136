"""Bearer tokens: short-lived signed JWT access tokens, and long-lived API tokens (UUIDs)."""

import hashlib
import random
import time
import uuid
import weakref
from collections.abc import Callable
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
    admin, another replica) is honoured when the entry runs out.

    An entry in the last `REFRESH_SHARE` of its life is looked up again once in the
    background (`due`, then `refreshed`) while requests keep using it: a token in steady
    use never makes a request wait for the database, and a hundred guests signed in at
    the same moment do not all miss at once when their entries run out together. Each
    entry's refresh comes at its own moment in the first half of that share, so those
    hundred are not all looked up in one burst either (issue 18: such a burst was the
    slowest round of the bench's contended bookings)."""

    REFRESH_SHARE = 0.2

    def __init__(
        self,
        seconds: float,
        *,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.seconds = seconds
        self.max_entries = max_entries
        self.clock = clock
        # key -> (when it runs out, when it is due for a refresh, the principal)
        self._entries: dict[object, tuple[float, float, P]] = {}
        self._refreshing: set[object] = set()
        # Bumped by forget(): a lookup begun before a revocation keeps nothing after it.
        self.generation = 0
        _caches.add(self)

    def get(self, key: object) -> P | None:
        found = self._entries.get(key)
        if found is None:
            return None
        until, _refresh_at, principal = found
        if self.clock() >= until:
            self._entries.pop(key, None)
            return None
        return principal

    def due(self, key: object) -> bool:
        """Whether `key` should be looked up again now; True once per refresh, which
        `refreshed` or `refresh_failed` must end."""
        found = self._entries.get(key)
        if found is None or key in self._refreshing:
            return False
        if self.clock() < found[1]:
            return False
        self._refreshing.add(key)
        return True

    def keep(self, key: object, principal: P, *, generation: int | None = None) -> None:
        if self.seconds <= 0 or (generation is not None and generation != self.generation):
            return
        if len(self._entries) >= self.max_entries:
            self._entries.clear()  # rare: cheaper than an eviction order kept on every hit
        until = self.clock() + self.seconds
        early = self.seconds * self.REFRESH_SHARE * (1 - random.random() / 2)
        self._entries[key] = (until, until - early, principal)

    def refreshed(self, key: object, principal: P | None, *, generation: int) -> None:
        """What the background lookup found: kept for another `seconds`, or, when the
        token is no longer valid (revoked, expired, user gone), forgotten now."""
        self._refreshing.discard(key)
        if principal is None:
            self._entries.pop(key, None)
        else:
            self.keep(key, principal, generation=generation)

    def refresh_failed(self, key: object) -> None:
        """The lookup could not be made (the database away): the entry runs out as it was."""
        self._refreshing.discard(key)

    def forget(self) -> None:
        self._entries.clear()
        self.generation += 1


_caches: "weakref.WeakSet[PrincipalCache[Any]]" = weakref.WeakSet()


def forget_all_principals() -> None:
    """Every cache of this process forgets every token: after a revocation (or a demotion)
    made here, no request answered afterwards uses what was remembered before it."""
    for cache in list(_caches):
        cache.forget()
