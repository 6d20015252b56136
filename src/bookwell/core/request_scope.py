"""The id of the request (or job) being served, for code below the web and worker layers.

The request middleware (observability/request_context.py) and a worker handling a message
(observability/dramatiq_context.py) bind `request_id` to structlog's context variables;
services read it here without knowing who set it, e.g. to stamp the outbox events a request
causes (services/notifications/outbox.py). Anyone may set one around a job with
`structlog.contextvars` `bound_contextvars(request_id=...)`.
"""

from structlog.contextvars import get_contextvars

# The width of outbox.request_id.
MAX_LENGTH = 100


def current_request_id() -> str | None:
    value = get_contextvars().get("request_id")
    return value[:MAX_LENGTH] if isinstance(value, str) and value else None
