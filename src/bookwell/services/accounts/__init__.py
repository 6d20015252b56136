"""Accounts: users, sign-in (passwords, access and API tokens), the principal a request acts
as, and the calendar feed tokens."""

# Re-exported only for tests/conftest.py (`from bookwell.services import accounts`) until its
# imports follow the move to services/accounts/accounts.py; then delete these lines.
from bookwell.services.accounts.accounts import create_api_token, create_user

__all__ = ["create_api_token", "create_user"]
