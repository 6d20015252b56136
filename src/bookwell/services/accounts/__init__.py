"""Accounts: users, sign-in (passwords, access and API tokens), the principal a request acts
as, and the calendar feed tokens."""
