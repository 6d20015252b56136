"""Registering and managing endpoints. A host's endpoint hears of their own listings (all,
or those in `listing_ids`); only an admin registers a global one (every listing). Each one
is seen and changed only by its owner or an admin: anyone else is answered NOT_FOUND, as
for something that does not exist."""

import base64
import secrets
import uuid
from collections.abc import Sequence

from sqlalchemy import ColumnElement, delete, func, insert, select, true, update
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.errors import DomainError, ErrorCode, invalid, not_found
from bookwell.core.pagination import Page, PageRequest, keyset, page_of
from bookwell.core.records import build_all
from bookwell.core.sealed import SecretBox, endpoint_context
from bookwell.models import Listing, WebhookEndpoint, new_id
from bookwell.services.accounts.principal import Principal
from bookwell.services.webhooks.events import WEBHOOK_EVENTS
from bookwell.services.webhooks.records import ENDPOINT_COLUMNS, EndpointRecord

MAX_ENDPOINTS_PER_OWNER = 20
MAX_LISTINGS = 100
SECRET_BYTES = 32


def new_secret() -> str:
    """A Standard Webhooks secret: "whsec_" and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def check_events(events: Sequence[str]) -> list[str]:
    wanted = list(dict.fromkeys(events))
    if not wanted:
        raise invalid("events", "Choose at least one event.")
    unknown = [event for event in wanted if event not in WEBHOOK_EVENTS]
    if unknown:
        raise invalid("events", f"Unknown event: {unknown[0][:40]}.")
    return wanted


def may_register(principal: Principal) -> None:
    if principal.role.value not in ("HOST", "ADMIN"):
        raise DomainError(ErrorCode.FORBIDDEN, "Only hosts and admins register webhooks.")


async def check_listings(
    *,
    session: AsyncSession,
    principal: Principal,
    listing_ids: Sequence[uuid.UUID] | None,
    is_global: bool,
) -> list[uuid.UUID] | None:
    """The listings an endpoint narrows to, each the owner's own (a global endpoint's: any);
    NOT_FOUND (field listingIds) for one that is not, as for one that does not exist."""
    if is_global and not principal.is_admin:
        raise DomainError(
            ErrorCode.FORBIDDEN, "Only an admin registers a global endpoint.", "isGlobal"
        )
    if listing_ids is None:
        return None
    wanted = list(dict.fromkeys(listing_ids))
    if not wanted or len(wanted) > MAX_LISTINGS:
        raise invalid("listingIds", f"Give 1 to {MAX_LISTINGS} listings, or none for all.")
    stmt = select(Listing.id).where(Listing.id.in_(wanted))
    if not is_global:
        stmt = stmt.where(Listing.owner_id == principal.user_id)
    found = set((await session.execute(stmt)).scalars())
    if len(found) != len(wanted):
        raise not_found("listing", "listingIds")
    return wanted


async def create_endpoint(
    *,
    session: AsyncSession,
    principal: Principal,
    url: str,
    events: Sequence[str],
    listing_ids: Sequence[uuid.UUID] | None,
    is_global: bool,
    box: SecretBox,
) -> tuple[EndpointRecord, str]:
    """The new endpoint and its secret (shown this once, stored sealed by `box`). `url` was
    checked by the caller (addresses.check_reachable, which resolves it: no network inside a
    transaction)."""
    may_register(principal)
    wanted = check_events(events)
    narrowed = await check_listings(
        session=session, principal=principal, listing_ids=listing_ids, is_global=is_global
    )
    owned = select(func.count()).where(WebhookEndpoint.owner_id == principal.user_id)
    if (await session.execute(owned)).scalar_one() >= MAX_ENDPOINTS_PER_OWNER:
        raise DomainError(
            ErrorCode.INVALID_STATE, f"At most {MAX_ENDPOINTS_PER_OWNER} endpoints each."
        )
    secret, endpoint_id = new_secret(), new_id()
    stmt = (
        insert(WebhookEndpoint)
        .values(
            id=endpoint_id,
            owner_id=principal.user_id,
            url=url,
            secret=box.seal(secret, context=endpoint_context(endpoint_id)),
            events=wanted,
            listing_ids=narrowed,
            is_global=is_global,
        )
        .returning(*ENDPOINT_COLUMNS)
    )
    return EndpointRecord(*(await session.execute(stmt)).one()), secret


def _visible(principal: Principal) -> ColumnElement[bool]:
    return true() if principal.is_admin else WebhookEndpoint.owner_id == principal.user_id


async def endpoint_of(
    *, session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, lock: bool = False
) -> EndpointRecord:
    """The endpoint if the principal may see it (its owner, an admin); else NOT_FOUND."""
    stmt = select(*ENDPOINT_COLUMNS).where(WebhookEndpoint.id == endpoint_id, _visible(principal))
    if lock:
        stmt = stmt.with_for_update()
    row = (await session.execute(stmt)).one_or_none()
    if row is None:
        raise not_found("webhook endpoint")
    return EndpointRecord(*row)


async def update_endpoint(
    *,
    session: AsyncSession,
    principal: Principal,
    endpoint_id: uuid.UUID,
    enabled: bool | None = None,
    events: Sequence[str] | None = None,
    url: str | None = None,
) -> EndpointRecord:
    """Enable or disable, change events or URL (checked by the caller). Enabling starts the
    failure count afresh; deliveries held while it was disabled go out again."""
    endpoint = await endpoint_of(
        session=session, principal=principal, endpoint_id=endpoint_id, lock=True
    )
    values: dict[str, object] = {}
    if events is not None:
        values["events"] = check_events(events)
    if url is not None:
        values["url"] = url
    if enabled is True and not endpoint.enabled:
        values |= {
            "enabled": True,
            "disabled_at": None,
            "disabled_reason": None,
            "owner_notified_at": None,
            "failed_deliveries": 0,
            "failing_since": None,
        }
    elif enabled is False and endpoint.enabled:
        values |= {
            "enabled": False,
            "disabled_at": func.now(),
            "disabled_reason": "Disabled by its owner.",
            "owner_notified_at": func.now(),  # they know: no email
        }
    if not values:
        return endpoint
    stmt = (
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .values(**values)
        .returning(*ENDPOINT_COLUMNS)
    )
    return EndpointRecord(*(await session.execute(stmt)).one())


async def rotate_secret(
    *, session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID, box: SecretBox
) -> tuple[EndpointRecord, str]:
    """A new secret, used from the next attempt on; the old one stops signing at once."""
    await endpoint_of(session=session, principal=principal, endpoint_id=endpoint_id, lock=True)
    secret = new_secret()
    stmt = (
        update(WebhookEndpoint)
        .where(WebhookEndpoint.id == endpoint_id)
        .values(secret=box.seal(secret, context=endpoint_context(endpoint_id)))
        .returning(*ENDPOINT_COLUMNS)
    )
    return EndpointRecord(*(await session.execute(stmt)).one()), secret


async def delete_endpoint(
    *, session: AsyncSession, principal: Principal, endpoint_id: uuid.UUID
) -> EndpointRecord:
    """Gone with its deliveries and their attempts."""
    endpoint = await endpoint_of(
        session=session, principal=principal, endpoint_id=endpoint_id, lock=True
    )
    await session.execute(delete(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id))
    return endpoint


async def list_endpoints(
    *, session: AsyncSession, principal: Principal, page: PageRequest
) -> Page[EndpointRecord]:
    """The principal's own endpoints (an admin's: everyone's), newest first."""
    stmt = select(*ENDPOINT_COLUMNS).where(_visible(principal))
    stmt = keyset(stmt, WebhookEndpoint.id, page, descending=True)
    return page_of(build_all(EndpointRecord, await session.execute(stmt)), page)


async def count_endpoints(*, session: AsyncSession, principal: Principal) -> int:
    stmt = select(func.count()).select_from(WebhookEndpoint).where(_visible(principal))
    return (await session.execute(stmt)).scalar_one()


async def reseal_secrets(*, session: AsyncSession, box: SecretBox) -> int:
    """Every endpoint's secret sealed under `box`'s current key (those under a previous key
    opened with it), after a rotation of the app's secret key; how many were sealed again."""
    stmt = select(WebhookEndpoint.id, WebhookEndpoint.secret).with_for_update()
    stale = [row for row in await session.execute(stmt) if not box.is_current(row.secret)]
    for endpoint_id, sealed in stale:
        context = endpoint_context(endpoint_id)
        secret = box.open(sealed, context=context)
        await session.execute(
            update(WebhookEndpoint)
            .where(WebhookEndpoint.id == endpoint_id)
            .values(secret=box.seal(secret, context=context))
        )
    return len(stale)
