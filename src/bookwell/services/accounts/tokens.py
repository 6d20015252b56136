"""Bearer tokens: short-lived signed JWT access tokens, and long-lived API tokens (UUIDs)."""

import hashlib
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

ALGORITHM = "HS256"


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
