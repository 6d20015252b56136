"""The admin's fixtures (tests/admin/conftest.py) for the attacks on /admin."""

from tests.admin.conftest import admin_client, seeded

__all__ = ["admin_client", "seeded"]
