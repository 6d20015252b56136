"""Moved to bookwell.core.migrate; this name stays only for tests/conftest.py until its
imports follow the move (then delete this file)."""

from bookwell.core.migrate import MIGRATIONS, alembic_config, upgrade

__all__ = ["MIGRATIONS", "alembic_config", "upgrade"]
