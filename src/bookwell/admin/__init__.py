"""The staff admin UI at /admin (sqladmin): see factory.build_admin."""

from bookwell.admin.factory import build_admin

__all__ = ["build_admin"]
