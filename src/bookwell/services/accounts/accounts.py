"""Users, sign-in and API tokens."""

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, InputErrors, check_text, invalid
from bookwell.core.records import build_all
from bookwell.core.statements import DriverStatement, one_of
from bookwell.models import ApiToken, Role, User, new_id
from bookwell.services.accounts.password_rules import password_problem
from bookwell.services.accounts.passwords import hash_password, verify_password
from bookwell.services.accounts.principal import Principal
from bookwell.services.accounts.records import (
    API_TOKEN_COLUMNS,
    USER_COLUMNS,
    ApiTokenRecord,
    NewApiToken,
    UserRecord,
)
from bookwell.services.accounts.tokens import (
    AccessTokens,
    forget_all_principals,
    hash_api_token,
    new_api_token,
    parse_api_token,
)

# Deliberately loose: the only real proof of an address is a mail that arrives.
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# RFC 5321 (4.5.3.1): a path of 256 octets, its angle brackets included, and a local part
# of 64.
MAX_EMAIL = 254
MAX_EMAIL_LOCAL_PART = 64


def _checked_email(email: str) -> str:
    email = check_text(email, "email").strip()
    local = email.rpartition("@")[0]
    # Octets, as RFC 5321 counts them: no account or booking at an address no mail reaches.
    # (Before the pattern, which would backtrack over a long input.)
    if len(email.encode()) > MAX_EMAIL or len(local.encode()) > MAX_EMAIL_LOCAL_PART:
        raise invalid(
            "email",
            f"An email address has at most {MAX_EMAIL} characters, {MAX_EMAIL_LOCAL_PART} "
            "before the @.",
        )
    if not EMAIL.match(email):
        raise invalid("email", "Not an email address.")
    return email


def _check_password(password: str, email: str, name: str) -> None:
    if (problem := password_problem(password, email=email, name=name)) is not None:
        raise invalid("password", problem)


def checked_name(name: str) -> str:
    name = check_text(name, "name").strip()
    if not 1 <= len(name) <= 200:
        raise invalid("name", "A name needs 1 to 200 characters.")
    return name


def _check_own_role(role: Role) -> None:
    if role is Role.ADMIN:
        raise DomainError(
            ErrorCode.FORBIDDEN, "Admins are made with `bookwell user create --admin`.", "role"
        )


def check_account_input(
    *, email: str, password: str | None, name: str, own_role: Role | None = None
) -> tuple[str, str]:
    """The email and name to keep (stripped), after checking them, the password and the role
    someone gives themselves (`own_role`, when registering): every mistake at once."""
    found = InputErrors()
    checked_email = found.check(_checked_email, email)
    if password is not None:
        found.check(_check_password, password, email, name)
    kept_name = found.check(checked_name, name)
    if own_role is not None:
        found.check(_check_own_role, own_role)
    found.raise_if_any()
    assert checked_email is not None and kept_name is not None
    return checked_email, kept_name


async def create_user(
    *,
    session: AsyncSession,
    email: str,
    name: str,
    role: Role = Role.GUEST,
    password: str | None = None,
) -> UserRecord:
    email, name = check_account_input(email=email, password=password, name=name)
    # Hashed before looking the email up: EMAIL_TAKEN costs what a new account costs, so
    # the time of the answer does not tell which addresses have accounts.
    password_hash = await hash_password(password) if password is not None else None
    if await user_id_by_email(session=session, email=email):
        raise DomainError(ErrorCode.EMAIL_TAKEN, "That email has an account already.", "email")
    # ON CONFLICT covers a concurrent registration with the same email.
    stmt = (
        insert(User)
        .values(id=new_id(), email=email, name=name, role=role, password_hash=password_hash)
        .on_conflict_do_nothing()
        .returning(*USER_COLUMNS)
    )
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        raise DomainError(ErrorCode.EMAIL_TAKEN, "That email has an account already.", "email")
    return UserRecord(*row)


async def register(
    *, session: AsyncSession, email: str, password: str, name: str, role: Role
) -> UserRecord:
    check_account_input(email=email, password=password, name=name, own_role=role)
    return await create_user(session=session, email=email, name=name, role=role, password=password)


async def login(*, session: AsyncSession, email: str, password: str) -> UserRecord:
    if "\x00" in email:  # cannot be anyone's address
        raise DomainError(ErrorCode.INVALID_CREDENTIALS, "Wrong email or password.")
    stmt = select(*USER_COLUMNS, User.password_hash).where(
        func.lower(User.email) == email.strip().lower(), User.checkout.is_(False)
    )
    row = (await session.execute(stmt)).one_or_none()
    if not await verify_password(row.password_hash if row else None, password) or row is None:
        raise DomainError(ErrorCode.INVALID_CREDENTIALS, "Wrong email or password.")
    return UserRecord(*row[:-1])


MAX_TOKEN_DAYS = 3650


def _checked_token_name(name: str) -> str:
    name = check_text(name, "name").strip()
    if not 1 <= len(name) <= 200:
        raise invalid("name", "A token name needs 1 to 200 characters.")
    return name


def _check_token_days(days: int | None) -> None:
    if days is not None and not 1 <= days <= MAX_TOKEN_DAYS:
        raise invalid("expiresInDays", f"A token lasts 1 to {MAX_TOKEN_DAYS} days (or omit it).")


async def create_api_token(
    *, session: AsyncSession, user_id: uuid.UUID, name: str, expires_in_days: int | None = None
) -> NewApiToken:
    """The token itself, and when it expires (None: never); only its hash is kept, so this
    is the one time it is seen."""
    found = InputErrors()
    checked_name = found.check(_checked_token_name, name)
    found.check(_check_token_days, expires_in_days)
    found.raise_if_any()
    token = new_api_token()
    expires_at = (
        None if expires_in_days is None else datetime.now(UTC) + timedelta(days=expires_in_days)
    )
    token_id = new_id()
    await session.execute(
        insert(ApiToken).values(
            id=token_id,
            user_id=user_id,
            name=checked_name,
            token_hash=hash_api_token(uuid.UUID(token)),
            expires_at=expires_at,
        )
    )
    return NewApiToken(token_id, token, expires_at)


async def api_tokens_of(*, session: AsyncSession, user_id: uuid.UUID) -> list[ApiTokenRecord]:
    """A user's API tokens, newest first, revoked and expired ones included."""
    rows = await session.execute(
        select(*API_TOKEN_COLUMNS)
        .where(ApiToken.user_id == user_id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return build_all(ApiTokenRecord, rows)


async def revoke_api_token_by_id(
    *, session: AsyncSession, token_id: uuid.UUID, owner: uuid.UUID
) -> bool:
    """Revokes `owner`'s token with this id (one whose value they no longer have); False when
    they have no such live token."""
    stmt = (
        update(ApiToken)
        .where(ApiToken.id == token_id, ApiToken.user_id == owner, ApiToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
        .returning(ApiToken.id)
    )
    forget_all_principals()
    return (await session.execute(stmt)).first() is not None


async def revoke_api_token(
    *, session: AsyncSession, token: str, owner: uuid.UUID | None = None
) -> bool:
    """Revokes the token (of `owner` only, when given: a user revokes their own); False when
    there is no such live token. Another user's token is answered as if unknown."""
    parsed = parse_api_token(token.strip())
    if parsed is None:
        return False
    stmt = (
        update(ApiToken)
        .where(ApiToken.token_hash == hash_api_token(parsed), ApiToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
        .returning(ApiToken.id)
    )
    if owner is not None:
        stmt = stmt.where(ApiToken.user_id == owner)
    forget_all_principals()
    return (await session.execute(stmt)).first() is not None


async def revoke_api_tokens_by_id(*, session: AsyncSession, ids: Sequence[uuid.UUID]) -> int:
    """Revokes these tokens (an admin's action); how many were live."""
    stmt = (
        update(ApiToken)
        .where(one_of(ApiToken.id, "ids"), ApiToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
        .returning(ApiToken.id)
    )
    forget_all_principals()
    return len((await session.execute(stmt, {"ids": list(ids)})).all())


async def revoke_api_tokens_of_user(*, session: AsyncSession, user_id: uuid.UUID) -> int:
    """Revokes every live token of this user; how many there were."""
    stmt = (
        update(ApiToken)
        .where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=func.now())
        .returning(ApiToken.id)
    )
    forget_all_principals()
    return len((await session.execute(stmt)).all())


async def api_token_is_live(*, session: AsyncSession, token: str) -> bool:
    parsed = parse_api_token(token.strip())
    if parsed is None:
        return False
    return (
        await session.execute(_BY_API_TOKEN, {"hash": hash_api_token(parsed)})
    ).first() is not None


async def authenticate(
    *, driver: asyncpg.Connection, token: str, access_tokens: AccessTokens
) -> Principal | None:
    """The principal behind a bearer token (API token or JWT), or None if it is not valid.
    One statement on the pool's asyncpg connection (`Database.raw_read`): every request
    whose token is not remembered asks it (http/authentication.py)."""
    api_token = parse_api_token(token)
    if api_token is not None:
        stmt, arguments = (
            _BY_API_TOKEN_TEXT,
            _BY_API_TOKEN_TEXT.arguments(hash=hash_api_token(api_token)),
        )
    else:
        user_id = access_tokens.user_id(token)
        if user_id is None:
            return None
        stmt, arguments = _BY_USER_ID_TEXT, _BY_USER_ID_TEXT.arguments(id=user_id)
    row = await driver.fetchrow(stmt.text, *arguments)
    return Principal(row[0], Role(row[1])) if row else None


# Every authenticated request runs one of these: built once (see _USERS_BY_IDS).
_BY_API_TOKEN = (
    select(User.id, User.role)
    .join(ApiToken, ApiToken.user_id == User.id)
    .where(
        ApiToken.token_hash == bindparam("hash"),
        ApiToken.revoked_at.is_(None),
        User.checkout.is_(False),
        or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > func.now()),
    )
)
_BY_USER_ID = select(User.id, User.role).where(
    User.id == bindparam("id"),
    User.checkout.is_(False),  # checkout users never sign in
)
_BY_API_TOKEN_TEXT = DriverStatement(_BY_API_TOKEN)
_BY_USER_ID_TEXT = DriverStatement(_BY_USER_ID)


# Built once: a SELECT built per call costs more than it takes to run
# (services/listings/listings.py).
_USERS_BY_IDS = select(*USER_COLUMNS).where(one_of(User.id, "ids"))


async def users_by_ids(*, session: AsyncSession, ids: Sequence[uuid.UUID]) -> list[UserRecord]:
    return build_all(UserRecord, await session.execute(_USERS_BY_IDS, {"ids": list(ids)}))


async def user_id_by_email(*, session: AsyncSession, email: str) -> uuid.UUID | None:
    """The account with this address; checkout users (services/accounts/checkout.py) are
    not accounts."""
    stmt = select(User.id).where(
        func.lower(User.email) == email.strip().lower(), User.checkout.is_(False)
    )
    return (await session.execute(stmt)).scalar_one_or_none()
