"""Moved to bookwell.core.config; this name stays only for tests/conftest.py and
tests/pooler.py (another change in flight) until their imports follow the move (then delete
this file)."""

from bookwell.core.config import Settings, to_asyncpg_url

__all__ = ["Settings", "to_asyncpg_url"]
