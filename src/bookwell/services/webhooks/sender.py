"""One signed POST of a delivery, as the Standard Webhooks specification says: headers
webhook-id, webhook-timestamp and webhook-signature ("v1,<base64 HMAC-SHA256 of
'{id}.{timestamp}.{body}'>", by the `standardwebhooks` library), the body as stored.

Any 2xx is success; anything else, a redirect included (never followed: a redirect could
lead inside), a timeout or a refused address is a failed attempt with its reason. The
answer's body is never read.
"""

import time
from datetime import UTC, datetime

import httpx
from standardwebhooks.webhooks import Webhook

from bookwell.core.errors import DomainError
from bookwell.services.webhooks.addresses import GuardedBackend, GuardedTransport, check_url
from bookwell.services.webhooks.deliveries import Attempt, Claimed

USER_AGENT = "Bookwell webhooks"


def signed_headers(claimed: Claimed, now: datetime) -> dict[str, str]:
    signature = Webhook(claimed.secret).sign(claimed.message_id, now, claimed.payload)
    return {
        "webhook-id": claimed.message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
        "user-agent": USER_AGENT,
    }


async def send(
    claimed: Claimed,
    *,
    allow_http_loopback: bool,
    timeout_seconds: float,
    backend: GuardedBackend | None = None,
) -> Attempt:
    """POST the delivery once; how it went (never raises for the endpoint's faults)."""
    started = time.monotonic()

    def took() -> int:
        return int((time.monotonic() - started) * 1000)

    try:
        url = check_url(claimed.url, allow_http_loopback=allow_http_loopback)
    except DomainError as error:
        return Attempt(False, None, 0, error.message)
    if backend is None:
        backend = GuardedBackend(allow_loopback=allow_http_loopback)
    headers = signed_headers(claimed, datetime.now(UTC))
    try:
        async with (
            httpx.AsyncClient(
                transport=GuardedTransport(backend),
                timeout=timeout_seconds,
                follow_redirects=False,
                trust_env=False,
            ) as client,
            client.stream("POST", url, content=claimed.payload.encode(), headers=headers) as answer,
        ):
            status = answer.status_code
    except DomainError as error:  # the guard refused the address it resolved
        return Attempt(False, None, took(), error.message)
    except httpx.TimeoutException:
        return Attempt(False, None, took(), f"No answer within {timeout_seconds:g} seconds.")
    except httpx.HTTPError as error:
        return Attempt(False, None, took(), f"{type(error).__name__}: {error}"[:500])
    succeeded = 200 <= status < 300
    problem = None if succeeded else f"HTTP {status}"
    if 300 <= status < 400:
        problem = f"HTTP {status}: redirects are not followed."
    return Attempt(succeeded, status, took(), problem)
