"""The email to an endpoint's owner when it was disabled for failing: claimed in the
caller's transaction (once per disabling), sent before that transaction commits, so a
failed send leaves it to be sent again."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.models import User, WebhookEndpoint


@dataclass(frozen=True, slots=True)
class DisabledEndpoint:
    endpoint_id: uuid.UUID
    url: str
    reason: str | None
    owner_email: str
    owner_name: str


async def claim_notice(*, session: AsyncSession, endpoint_id: uuid.UUID) -> DisabledEndpoint | None:
    """The disabled endpoint whose owner is still to be told, marked told; None when there
    is nothing to tell (enabled again, told already, or told by another worker)."""
    endpoint = WebhookEndpoint.__table__.c
    claimed = (
        update(WebhookEndpoint)
        .where(
            endpoint.id == endpoint_id,
            endpoint.enabled.is_(False),
            endpoint.owner_notified_at.is_(None),
        )
        .values(owner_notified_at=func.now())
        .returning(endpoint.url, endpoint.disabled_reason, endpoint.owner_id)
    )
    row = (await session.execute(claimed)).one_or_none()
    if row is None:
        return None
    owner = (
        await session.execute(select(User.email, User.name).where(User.id == row.owner_id))
    ).one()
    return DisabledEndpoint(endpoint_id, row.url, row.disabled_reason, owner.email, owner.name)


async def untold(*, session: AsyncSession) -> list[uuid.UUID]:
    """Disabled endpoints whose owner was not told yet (a send that failed)."""
    stmt = select(WebhookEndpoint.id).where(
        WebhookEndpoint.enabled.is_(False), WebhookEndpoint.owner_notified_at.is_(None)
    )
    return list((await session.execute(stmt)).scalars())


def compose_notice(disabled: DisabledEndpoint, *, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = "Your Bookwell webhook endpoint was disabled"
    message["From"] = sender
    name = " ".join(disabled.owner_name.split())
    message["To"] = Address(display_name=name, addr_spec=disabled.owner_email)
    message["Date"] = format_datetime(datetime.now(UTC))
    stamp = int(datetime.now(UTC).timestamp())
    message["Message-ID"] = f"<bookwell.webhook.{disabled.endpoint_id}.{stamp}@bookwell>"
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        f"Hello {name},\n\n"
        f"Bookwell stopped sending events to your webhook endpoint\n\n    {disabled.url}\n\n"
        f"because it kept failing: {disabled.reason or 'repeated failures'}\n\n"
        "Events that happen meanwhile are kept. Fix the endpoint, then enable it again with "
        "the updateWebhookEndpoint mutation (enabled: true): what was kept is sent then. "
        "Each delivery's attempts (status code, error, time) are listed under "
        "webhookEndpoints { deliveries { attempts } }.\n\n-- Bookwell\n"
    )
    return message
