"""What resolvers share: who is signed in (require_principal, public_read), ids from
arguments, a connection's lazy totalCount, and a mutation's flow with its refusals as data
(errors_as_data)."""

import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from bookwell.core.errors import DomainError, not_found
from bookwell.core.ids import database_id_of
from bookwell.graphql.context import Info
from bookwell.graphql.shared.enums import ErrorCode
from bookwell.graphql.shared.errors import (
    ARGUMENTS,
    ArgumentPaths,
    PublicError,
    UserError,
    user_errors,
)
from bookwell.services.accounts.principal import Principal

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


def parse_uuid(value: str, type_name: str | None = None) -> uuid.UUID | None:
    """The UUID an input id names: a global id (of `type_name`, when given) or a bare
    UUID; None when it is neither (bookwell/core/ids.py)."""
    return database_id_of(value, type_name)


# What parse_id's `what` names, as the global ids of those objects name their type.
NODE_TYPES = {
    "listing": "Listing",
    "reservation": "Reservation",
    "waitlist entry": "WaitlistEntry",
    "price rule": "PriceRule",
    "booking rule season": "BookingRuleSeason",
    "unit": "ListingUnit",
}


def parse_id(
    value: str, what: str, field: str = "id", *, type_name: str | None = None
) -> uuid.UUID:
    """An id argument (see parse_uuid), or NOT_FOUND blaming `field`: a malformed id names
    nothing."""
    parsed = parse_uuid(value, type_name or NODE_TYPES.get(what))
    if parsed is None:
        raise not_found(what, field)
    return parsed


def counter(
    info: Info, query: Callable[..., Awaitable[int]], **criteria: Any
) -> Callable[[], Awaitable[int]]:
    """A connection's totalCount, run (in its own session) only if the query asks for it."""

    async def count() -> int:
        async with info.context.db.read() as session:
            return await query(session=session, **criteria)

    return count


async def errors_as_data(
    work: Awaitable[T], at: ArgumentPaths = ARGUMENTS
) -> tuple[T | None, list[UserError]]:
    """What a mutation's flow returns, or the DomainError it raised (its transaction rolled
    back) as the payload's errors: one each for DomainErrors, their fields placed among the
    mutation's arguments by `at`. The flow owns the transaction (bookwell/flows)."""
    try:
        return await work, []
    except DomainError as error:
        return None, user_errors(error, at)
