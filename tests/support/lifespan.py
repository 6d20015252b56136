"""The app's lifespan as a server runs it, for tests that call the app in-process.

The lifespan yields its state (the database and the LISTEN connection, app.py); a server
(uvicorn) copies that state into every request's `scope["state"]`, where the routes read it.
httpx's ASGITransport runs no lifespan, so `started(app)` runs it and hands back the app
wrapped to do the server's part. `StateKept(app)` is for apps served by a real server: it keeps
the lifespan's state where a test can read it (the listener's subscriber count)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.types import Receive, Scope, Send


class Started:
    """The app, its lifespan running: every request's scope gets a copy of the state. Other
    attributes are the app's (`routes`, `state`, ...)."""

    def __init__(self, app: Starlette, state: dict[str, Any]):
        self.app = app
        self.lifespan_state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket"):
            scope = {**scope, "state": {**self.lifespan_state, **scope.get("state", {})}}
        await self.app(scope, receive, send)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    @property
    def db(self) -> Any:
        return self.lifespan_state["db"]

    @property
    def listener(self) -> Any:
        return self.lifespan_state["listener"]


@asynccontextmanager
async def started(app: Starlette) -> AsyncIterator[Started]:
    async with app.router.lifespan_context(app) as state:
        yield Started(app, dict(state or {}))


class StateKept:
    """An app for a real server, whose lifespan state stays readable: the server hands the
    lifespan a dict, which the app fills at startup."""

    def __init__(self, app: Starlette):
        self.app = app
        self.lifespan_state: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            self.lifespan_state = scope.setdefault("state", {})
        await self.app(scope, receive, send)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.app, name)

    @property
    def listener(self) -> Any:
        return self.lifespan_state["listener"]
