"""Account flows: sign up and in through the API, and accounts the operator makes (CLI)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.db import Database
from bookwell.flows.transaction import in_one_transaction
from bookwell.models import Role
from bookwell.services.accounts import accounts
from bookwell.services.accounts.records import UserRecord


async def register(db: Database, *, email: str, password: str, name: str, role: Role) -> UserRecord:
    return await in_one_transaction(
        db,
        lambda session: accounts.register(
            session=session, email=email, password=password, name=name, role=role
        ),
    )


async def login(db: Database, *, email: str, password: str) -> UserRecord:
    """The user whose password this is, or INVALID_CREDENTIALS."""
    return await in_one_transaction(
        db, lambda session: accounts.login(session=session, email=email, password=password)
    )


async def create_user(
    db: Database, *, email: str, name: str, role: Role, password: str | None = None
) -> UserRecord:
    """Any role, ADMIN included: for the operator, never the API (which uses `register`)."""
    return await in_one_transaction(
        db,
        lambda session: accounts.create_user(
            session=session, email=email, name=name, role=role, password=password
        ),
    )


async def create_api_token(db: Database, *, user_id: uuid.UUID, name: str) -> str:
    """The token itself: only its hash is kept, so this is the one time it is seen."""
    return await in_one_transaction(
        db,
        lambda session: accounts.create_api_token(session=session, user_id=user_id, name=name),
    )


async def create_api_token_for_email(db: Database, *, email: str, name: str) -> str | None:
    """A token for the user with this email; None when there is no such user."""

    async def create(session: AsyncSession) -> str | None:
        user_id = await accounts.user_id_by_email(session=session, email=email)
        if user_id is None:
            return None
        return await accounts.create_api_token(session=session, user_id=user_id, name=name)

    return await in_one_transaction(db, create)
