import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.context import Info
from bookwell.schema.enums import ErrorCode
from bookwell.schema.errors import PublicError, UserError
from bookwell.services.errors import DomainError
from bookwell.services.principal import Principal

T = TypeVar("T")


def require_principal(info: Info) -> Principal:
    """The signed-in principal, or an UNAUTHENTICATED error answered with HTTP 401."""
    principal = info.context.principal
    if principal is None:
        if info.context.response is not None:
            info.context.response.status_code = 401
            info.context.response.headers["WWW-Authenticate"] = "Bearer"
        raise PublicError(
            ErrorCode.UNAUTHENTICATED, "Sign in first: send Authorization: Bearer <token>."
        )
    return principal


def public_read(info: Info) -> Principal | None:
    """Public reads need no token, unless the API is private (BOOKWELL_PRIVATE_API=true)."""
    if info.context.settings.private_api:
        return require_principal(info)
    return info.context.principal


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except (ValueError, AttributeError, TypeError):
        return None


def counter(
    info: Info, query: Callable[..., Awaitable[int]], **criteria: Any
) -> Callable[[], Awaitable[int]]:
    """A connection's totalCount, run (in its own session) only if the query asks for it."""

    async def count() -> int:
        async with info.context.db.read() as session:
            return await query(session=session, **criteria)

    return count


async def in_transaction(
    info: Info, work: Callable[[AsyncSession], Awaitable[T]]
) -> tuple[T | None, list[UserError]]:
    """Run a mutation's service call in one transaction; a DomainError rolls it back and
    becomes the payload's errors."""
    try:
        async with info.context.db.transaction() as session:
            return await work(session), []
    except DomainError as error:
        return None, [UserError.from_domain(error)]
