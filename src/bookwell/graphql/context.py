"""The per-request context every resolver sees, typed (no dict lookups)."""

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.requests import Request
from starlette.responses import Response

from bookwell.core.config import Settings
from bookwell.core.db import Database
from bookwell.core.pg_listen import Listener
from bookwell.core.rate_limits import RateLimiter
from bookwell.graphql.loaders import Loaders
from bookwell.services.accounts.principal import Principal
from bookwell.services.accounts.tokens import AccessTokens
from bookwell.services.payments import BuiltinProvider, PaymentProvider


@dataclass
class Context:
    db: Database
    settings: Settings
    access_tokens: AccessTokens
    principal: Principal | None
    request_id: str
    request: Request | None = None
    # Strawberry copies this response's status code and headers into the HTTP answer.
    response: Response | None = None
    # Built once per app from settings (services/payments: build_provider).
    payments: PaymentProvider = field(default_factory=BuiltinProvider)
    # The process's LISTEN connection (subscriptions); None when the app runs without one.
    listener: Listener | None = None
    # A websocket's connection_init payload (Strawberry sets it on connect).
    connection_params: dict[str, object] | None = None
    # Login and booking counters (core/rate_limits.py); None: nothing is rate limited.
    rate_limiter: RateLimiter | None = None
    loaders: Loaders = field(init=False)
    # Objects whose `prefetched` values point back at them (graphql/listings/prefetch.py: a
    # listing's reservations know their listing); release() cuts those cycles.
    linked: list[Any] = field(init=False, default_factory=list)
    # More cycles to cut when the answer is sent (graphql/engine/execution.py: the executor's own).
    _cleanups: list[Callable[[], None]] = field(init=False, default_factory=list)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.db, self.principal)

    def release(self) -> None:
        """Called when the answer is sent. A request builds cycles (above, and in the
        loaders); cut, its thousands of objects are freed at once by reference counting.
        Left, they pile up until a full collection walks every object in the process: in
        the bench's nested read that was half of the server's CPU (bench/README.md)."""
        for item in self.linked:
            item.prefetched.clear()
        self.linked.clear()
        self.loaders.release()
        for cleanup in self._cleanups:
            cleanup()
        self._cleanups.clear()

    def after_answer(self, cleanup: Callable[[], None]) -> None:
        """Run `cleanup` in release(). Only an HTTP request's context is released (by the
        GraphQL view, once answered); a websocket's lives as long as its connection, which
        may run many operations, so it keeps nothing for later."""
        if self.request is not None:
            self._cleanups.append(cleanup)

    def sign_in(self, principal: Principal) -> None:
        """A websocket authenticates after its context exists (on connection_init)."""
        self.principal = principal
        self.loaders = Loaders(self.db, principal)


Info = strawberry.Info[Context, None]
