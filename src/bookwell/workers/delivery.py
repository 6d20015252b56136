"""Deliver one outbox event: one email per recipient, each at most once in the normal case.

Per recipient, one transaction claims (outbox id, recipient) in `notification_log`, sends,
and commits. A concurrent redelivery waits on the claim and then finds it; a failed send
rolls the claim back so a retry sends again. The one duplicate left is a worker that dies
after the SMTP server accepted the message and before the commit: that recipient gets it
twice, with the same Message-ID (README: "Delivery guarantees").
"""

from dataclasses import dataclass

from sqlalchemy import func, update
from sqlalchemy.dialects.postgresql import insert

from bookwell.core.db import Database
from bookwell.mail import Mailer, compose
from bookwell.models import NotificationLog, OutboxMessage
from bookwell.services.booking.manage_tokens import ManageTokens
from bookwell.workers.manage_links import with_manage_links
from bookwell.workers.notices import notices_for


@dataclass(frozen=True, slots=True)
class Delivery:
    sent: int
    already_sent: int


async def deliver(
    db: Database,
    mailer: Mailer,
    outbox_id: int,
    *,
    sender: str,
    public_url: str,
    manage_links: ManageTokens | None = None,
) -> Delivery:
    async with db.read() as session:
        notices = await notices_for(session, outbox_id)
        if manage_links is not None:
            notices = await with_manage_links(session, notices, manage_links)
    sent = already_sent = 0
    for notice in notices:
        message = compose(notice, sender=sender, public_url=public_url)
        claim = (
            insert(NotificationLog)
            .values(
                outbox_id=outbox_id,
                recipient=notice.recipient.email.lower(),
                message_id=message["Message-ID"],
            )
            .on_conflict_do_nothing()
            .returning(NotificationLog.outbox_id)
        )
        async with db.transaction() as session:
            if (await session.execute(claim)).first() is None:
                already_sent += 1
                continue
            await mailer.send(message)
            sent += 1
    async with db.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == outbox_id, OutboxMessage.delivered_at.is_(None))
            .values(delivered_at=func.now())
        )
    return Delivery(sent=sent, already_sent=already_sent)
