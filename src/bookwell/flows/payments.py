"""Payment flows: a guest pays a hold; the provider's webhook events are applied; paid holds
that ended without a stay are refunded."""

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bookwell.core.db import Database
from bookwell.core.errors import DomainError
from bookwell.flows.transaction import Work, in_one_transaction
from bookwell.services.accounts.principal import Principal
from bookwell.services.payments import records
from bookwell.services.payments import service as payments
from bookwell.services.payments.events import EventOutcome, handle_stripe_event
from bookwell.services.payments.provider import PaymentProvider
from bookwell.services.payments.service import PaymentOutcome, RecordedFailure

log = logging.getLogger(__name__)


async def pay(
    db: Database,
    *,
    principal: Principal,
    reservation_id: uuid.UUID,
    idempotency_key: str,
    provider: PaymentProvider,
) -> PaymentOutcome:
    """Pay a PENDING hold. A decline is a RecordedFailure: the transaction commits the
    FAILED payment it recorded first (the hold stays, to pay again with a new key), and the
    refusal is raised after the commit."""

    async def attempt(session: AsyncSession) -> PaymentOutcome | RecordedFailure:
        try:
            return await payments.pay_reservation(
                session=session,
                principal=principal,
                reservation_id=reservation_id,
                idempotency_key=idempotency_key,
                provider=provider,
            )
        except RecordedFailure as failure:
            return failure  # returned, not raised: the transaction commits what it recorded

    outcome = await in_one_transaction(db, attempt)
    if isinstance(outcome, RecordedFailure):
        raise outcome
    return outcome


async def apply_stripe_event(
    db: Database, *, event: Mapping[str, Any], provider: PaymentProvider
) -> EventOutcome:
    """A verified Stripe event, applied in one transaction (a DomainError: nothing applied,
    and Stripe delivers it again)."""
    return await in_one_transaction(
        db,
        lambda session: handle_stripe_event(session=session, event=event, provider=provider),
    )


def _refunding_in_full(
    reservation_id: uuid.UUID, provider: PaymentProvider
) -> Work[records.PaymentRecord | None]:
    """The work that refunds one reservation in full (bound now, not in a loop's closure)."""
    return lambda session: payments.refund_in_full(
        session=session, reservation_id=reservation_id, provider=provider
    )


async def refund_ended_holds(db: Database, provider: PaymentProvider) -> int:
    """Paid holds that expired (awaiting the host, or expired lazily by another booking) get
    everything back, one transaction each: a refund the provider refuses is logged and tried
    again by the next sweep; how many were refunded."""
    refunded = 0
    async with db.read() as session:
        ended = await records.expired_holds_to_refund(session=session)
    for reservation_id in ended:
        try:
            if await in_one_transaction(
                db,
                _refunding_in_full(reservation_id, provider),
            ):
                refunded += 1
        except DomainError as error:
            log.warning("refund of expired hold %s failed: %s", reservation_id, error.message)
    return refunded
