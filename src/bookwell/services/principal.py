"""Moved to bookwell.services.accounts.principal; this name stays only for
tests/conftest.py until its imports follow the move (then delete this file)."""

from bookwell.services.accounts.principal import Principal

__all__ = ["Principal"]
