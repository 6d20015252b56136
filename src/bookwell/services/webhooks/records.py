"""What the webhook services return."""

import uuid
from dataclasses import dataclass
from datetime import datetime

from bookwell.core.records import columns_for
from bookwell.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint


@dataclass(frozen=True, slots=True)
class EndpointRecord:
    id: uuid.UUID
    created_at: datetime
    owner_id: uuid.UUID
    url: str
    events: list[str]
    listing_ids: list[uuid.UUID] | None
    is_global: bool
    enabled: bool
    disabled_at: datetime | None
    disabled_reason: str | None
    failed_deliveries: int
    failing_since: datetime | None


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    id: uuid.UUID
    created_at: datetime
    endpoint_id: uuid.UUID
    event: str
    message_id: str
    payload: str
    status: DeliveryStatus
    attempt_count: int
    next_attempt_at: datetime | None
    completed_at: datetime | None


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    id: uuid.UUID
    created_at: datetime
    delivery_id: uuid.UUID
    succeeded: bool
    status_code: int | None
    duration_ms: int
    error: str | None


ENDPOINT_COLUMNS = columns_for(EndpointRecord, WebhookEndpoint.__table__)
DELIVERY_COLUMNS = columns_for(DeliveryRecord, WebhookDelivery.__table__)
ATTEMPT_COLUMNS = columns_for(AttemptRecord, WebhookAttempt.__table__)
