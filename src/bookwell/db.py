"""Moved to bookwell.core.db; this name stays only for tests/conftest.py and tests/pooler.py
(another change in flight) until their imports follow the move (then delete this file)."""

from bookwell.core.db import (
    EMBEDDED_DATABASE,
    Database,
    EmbeddedPostgres,
    HasDatabase,
    connect,
    describe,
    secret_key,
)

__all__ = [
    "EMBEDDED_DATABASE",
    "Database",
    "EmbeddedPostgres",
    "HasDatabase",
    "connect",
    "describe",
    "secret_key",
]
