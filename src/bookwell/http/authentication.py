"""Who is asking: one bearer-token check for every route that takes a token (/graphql over
HTTP and its websocket upgrade, /reports, the calendar feed), as Starlette's
`AuthenticationMiddleware` with the backend below. The app puts the middleware on those
routes (app.py), each with its own answer to a bad token (`on_error`: GraphQL's error shape
on /graphql, the reports' JSON on /reports); routes read the principal from the scope
(`principal_of`), never from the header.

No Authorization header: anonymous (`scope["user"]` unauthenticated), and the route decides.
A header that holds no valid token (another scheme, an unknown, revoked or expired token):
refused with 401 before the route runs. Checking a token is the accounts service's
(API tokens and JWTs alike); this module only finds the token and asks, and remembers the
answer for BOOKWELL_TOKEN_CACHE_SECONDS (issue 18: a request then asks the database nothing
to know who is asking). A JWT's signature and expiry are checked on every request.
Revocation through this process is honoured at once, elsewhere within that time
(services/accounts/tokens.py, PrincipalCache)."""

import asyncio
import logging
from collections.abc import Callable

from starlette.authentication import (
    AuthCredentials,
    AuthenticationBackend,
    AuthenticationError,
    BaseUser,
)
from starlette.middleware import Middleware
from starlette.middleware.authentication import AuthenticationMiddleware
from starlette.requests import HTTPConnection
from starlette.responses import Response

from bookwell.core.db import Database
from bookwell.services.accounts import accounts
from bookwell.services.accounts.principal import Principal
from bookwell.services.accounts.tokens import AccessTokens, PrincipalCache, parse_api_token
from bookwell.services.booking.manage_tokens import authenticate_link as manage_links

log = logging.getLogger(__name__)

INVALID_TOKEN = "The Authorization header does not hold a valid token."

OnError = Callable[[HTTPConnection, AuthenticationError], Response]


class InvalidToken(AuthenticationError):
    """A credential was sent and is not a valid token."""


class SignedIn(BaseUser):
    """`scope["user"]` of an authenticated request: the principal behind its token."""

    def __init__(self, principal: Principal):
        self.principal = principal

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def display_name(self) -> str:
        return str(self.principal.user_id)

    @property
    def identity(self) -> str:
        return str(self.principal.user_id)


class BearerTokens(AuthenticationBackend):
    """`query_parameter`: also take the token from `?access_token=` when no header is sent
    (RFC 6750, 2.3), for links a browser follows (report downloads)."""

    REFRESHES_AT_ONCE = 2

    def __init__(
        self,
        access_tokens: AccessTokens,
        *,
        query_parameter: bool = False,
        cache_seconds: float = 0.0,
    ):
        self.access_tokens = access_tokens
        self.query_parameter = query_parameter
        self.cache: PrincipalCache[Principal] = PrincipalCache(cache_seconds)
        self._refreshes: set[asyncio.Task[None]] = set()
        # Background re-checks wait their turn: nobody waits for them, and a burst of them
        # would push the pool past its size into opening connections (issue 18: a contended
        # round's hundred tokens came due together).
        self._refresh_turns = asyncio.Semaphore(self.REFRESHES_AT_ONCE)

    async def authenticate(self, conn: HTTPConnection) -> tuple[AuthCredentials, BaseUser] | None:
        header = conn.headers.get("authorization")
        token = conn.query_params.get("access_token") if self.query_parameter else None
        if header is None and token:
            header = f"Bearer {token}"
        if header is None:
            return None
        # The lifespan's database (app.py), which the server copied into the scope.
        principal = await self.principal(conn.state.db, header)
        if principal is None:
            raise InvalidToken(INVALID_TOKEN)
        return AuthCredentials(["authenticated"]), SignedIn(principal)

    async def principal(self, db: Database, header: str) -> Principal | None:
        """The principal behind an Authorization value ("Bearer <token>"), or None. Also
        what a websocket's connection_init payload is checked with (graphql/view.py)."""
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        token = token.strip()
        key = self._cache_key(token)
        if key is not None and (known := self.cache.get(key)) is not None:
            if self.cache.due(key):
                self._refresh_later(db, token, key)
            return known
        if key is not None:  # an account's token, as far as can be told without asking
            generation = self.cache.generation
            async with db.raw_read() as driver:
                found = await accounts.authenticate(
                    driver=driver, token=token, access_tokens=self.access_tokens
                )
            if found is not None:
                self.cache.keep(key, found, generation=generation)
                return found
        async with db.read() as session:  # connects only for a manage link's valid claims
            return await manage_links(
                session=session, token=token, access_tokens=self.access_tokens
            )

    def _refresh_later(self, db: Database, token: str, key: object) -> None:
        task = asyncio.create_task(self._refresh(db, token, key, self.cache.generation))
        self._refreshes.add(task)  # held until done: the loop keeps only weak references
        task.add_done_callback(self._refreshes.discard)

    async def _refresh(self, db: Database, token: str, key: object, generation: int) -> None:
        try:
            async with self._refresh_turns, db.raw_read() as driver:
                found = await accounts.authenticate(
                    driver=driver, token=token, access_tokens=self.access_tokens
                )
        except Exception:
            log.warning("a bearer token's background re-check failed", exc_info=True)
            self.cache.refresh_failed(key)
        else:
            self.cache.refreshed(key, found, generation=generation)

    def _cache_key(self, token: str) -> object | None:
        """An API token is remembered by its value; a JWT, once its signature and expiry
        pass (every time), by its subject. None: not a token of an account (a manage
        link's, or nothing valid), never remembered."""
        api_token = parse_api_token(token)
        if api_token is not None:
            return ("api", api_token)
        user_id = self.access_tokens.user_id(token)
        return None if user_id is None else ("user", user_id)

    @staticmethod
    def principal_of(conn: HTTPConnection) -> Principal | None:
        return principal_of(conn)


def principal_of(conn: HTTPConnection) -> Principal | None:
    """Who the middleware signed in; None: anonymous (or no middleware on the route)."""
    user = conn.scope.get("user")
    return user.principal if isinstance(user, SignedIn) else None


def authentication(backend: BearerTokens, on_error: OnError) -> Middleware:
    """The middleware for one route: `on_error` answers a request whose token is invalid
    (a websocket's upgrade is closed instead)."""
    return Middleware(AuthenticationMiddleware, backend=backend, on_error=on_error)
