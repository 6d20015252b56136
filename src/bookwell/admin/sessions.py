"""A session maker for sqladmin that finds the app's database when a request needs it: the
database is opened by the app's lifespan, after the admin is built."""

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.db import Database


class LazySessionMaker:
    """Quacks like `async_sessionmaker` where sqladmin looks: `class_` (to tell async from
    sync), `configure()` and a call that opens a session."""

    class_ = AsyncSession

    def __init__(self, get_database: Callable[[], Database | None]):
        self._get_database = get_database
        self._options: dict[str, Any] = {}

    def database(self) -> Database:
        database = self._get_database()
        if database is None:
            raise RuntimeError("The admin was used before the app's lifespan opened the database.")
        return database

    def configure(self, **options: Any) -> None:
        self._options.update(options)

    def __call__(self, **options: Any) -> AsyncSession:
        return self.database().sessions(**{**self._options, **options})
