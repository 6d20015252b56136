"""Account flows: sign up and in through the API, and accounts the operator makes (CLI)."""

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.db import Database
from bookwell.flows.transaction import in_one_transaction
from bookwell.models import Role
from bookwell.services.accounts import accounts, profiles
from bookwell.services.accounts.profiles import ProfileChange
from bookwell.services.accounts.records import ApiTokenRecord, NewApiToken, UserRecord


async def register(db: Database, *, email: str, password: str, name: str, role: Role) -> UserRecord:
    return await in_one_transaction(
        db,
        lambda session: accounts.register(
            session=session, email=email, password=password, name=name, role=role
        ),
    )


async def update_profile(db: Database, *, user_id: uuid.UUID, change: ProfileChange) -> UserRecord:
    return await in_one_transaction(
        db,
        lambda session: profiles.update_profile(session=session, user_id=user_id, change=change),
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


async def create_api_token(
    db: Database, *, user_id: uuid.UUID, name: str, expires_in_days: int | None = None
) -> NewApiToken:
    """The token itself: only its hash is kept, so this is the one time it is seen."""
    return await in_one_transaction(
        db,
        lambda session: accounts.create_api_token(
            session=session, user_id=user_id, name=name, expires_in_days=expires_in_days
        ),
    )


async def revoke_api_token(db: Database, *, token: str, owner: uuid.UUID | None = None) -> bool:
    """Revokes the token (only if `owner`'s, when given); False: no such live token."""
    return await in_one_transaction(
        db, lambda session: accounts.revoke_api_token(session=session, token=token, owner=owner)
    )


async def revoke_own_api_token(db: Database, *, token_id: uuid.UUID, owner: uuid.UUID) -> bool:
    """Revokes `owner`'s token by its id; False: they have no such live token."""
    return await in_one_transaction(
        db,
        lambda session: accounts.revoke_api_token_by_id(
            session=session, token_id=token_id, owner=owner
        ),
    )


async def api_tokens_of(db: Database, *, user_id: uuid.UUID) -> list[ApiTokenRecord]:
    async with db.read() as session:
        return await accounts.api_tokens_of(session=session, user_id=user_id)


async def api_tokens_for_email(db: Database, *, email: str) -> list[ApiTokenRecord] | None:
    """The API tokens of the user with this email; None: no such user."""
    async with db.read() as session:
        user_id = await accounts.user_id_by_email(session=session, email=email)
        if user_id is None:
            return None
        return await accounts.api_tokens_of(session=session, user_id=user_id)


async def revoke_api_tokens_by_id(db: Database, *, ids: list[uuid.UUID]) -> int:
    """An admin's action: how many of these tokens were live."""
    return await in_one_transaction(
        db, lambda session: accounts.revoke_api_tokens_by_id(session=session, ids=ids)
    )


async def revoke_api_tokens_of(db: Database, *, email: str) -> int | None:
    """Revokes every live token of the user with this email; None: no such user."""

    async def revoke(session: AsyncSession) -> int | None:
        user_id = await accounts.user_id_by_email(session=session, email=email)
        if user_id is None:
            return None
        return await accounts.revoke_api_tokens_of_user(session=session, user_id=user_id)

    return await in_one_transaction(db, revoke)


async def live_api_token(db: Database, token: str) -> bool:
    """Whether this API token still signs in (not revoked, not expired)."""
    async with db.read() as session:
        return await accounts.api_token_is_live(session=session, token=token)


async def create_api_token_for_email(
    db: Database, *, email: str, name: str, expires_in_days: int | None = None
) -> NewApiToken | None:
    """A token for the user with this email; None when there is no such user."""

    async def create(session: AsyncSession) -> NewApiToken | None:
        user_id = await accounts.user_id_by_email(session=session, email=email)
        if user_id is None:
            return None
        return await accounts.create_api_token(
            session=session, user_id=user_id, name=name, expires_in_days=expires_in_days
        )

    return await in_one_transaction(db, create)
