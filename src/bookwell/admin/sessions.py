"""A session maker for sqladmin that opens sessions on the database of the request being
served: the app's lifespan opens the database (after the admin is built) and yields it as
its state, which the server copies into every request's scope. sqladmin asks for sessions
without the request, so `RequestDatabase` (a middleware on the admin's mount) keeps the
request's database in a context variable for the request's duration."""

from contextvars import ContextVar
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Receive, Scope, Send

from bookwell.core.db import Database

_database: ContextVar[Database | None] = ContextVar("admin_database", default=None)


class RequestDatabase:
    """Makes the request's database (the lifespan's state) the one LazySessionMaker opens."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = _database.set(scope.get("state", {}).get("db"))
        try:
            await self.app(scope, receive, send)
        finally:
            _database.reset(token)


class LazySessionMaker:
    """Quacks like `async_sessionmaker` where sqladmin looks: `class_` (to tell async from
    sync), `configure()` and a call that opens a session."""

    class_ = AsyncSession

    def __init__(self) -> None:
        self._options: dict[str, Any] = {}

    def database(self) -> Database:
        database = _database.get()
        if database is None:
            raise RuntimeError("The admin was used before the app's lifespan opened the database.")
        return database

    def configure(self, **options: Any) -> None:
        self._options.update(options)

    def __call__(self, **options: Any) -> AsyncSession:
        return self.database().sessions(**{**self._options, **options})
