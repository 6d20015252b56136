"""One object per process and database (a cache, a memo, a gate), found by the database's
engine: every `Database` over one engine shares it, and it goes when the engine goes."""

import weakref
from collections.abc import Callable
from typing import Generic, TypeVar

from sqlalchemy.engine import Engine

from bookwell.core.db import Database

T = TypeVar("T")


class PerDatabase(Generic[T]):
    def __init__(self, make: Callable[[], T]) -> None:
        self._make = make  # for a database that was never given one (`install`)
        self._made: weakref.WeakKeyDictionary[Engine, T] = weakref.WeakKeyDictionary()

    def of(self, db: Database) -> T:
        engine = db.engine.sync_engine
        found = self._made.get(engine)
        if found is None:
            found = self._made[engine] = self._make()
        return found

    def install(self, db: Database, value: T) -> T:
        self._made[db.engine.sync_engine] = value
        return value
