"""Bookings without an account count per email address too (issue 17.7). The schema's
RateLimits already counted the request against its IP's booking bucket; an anonymous caller
has no principal to count against, so the address stands in for one, with the same limit
(BOOKWELL_BOOKING_LIMIT_PER_PRINCIPAL): rotating IPs does not let one address hold more."""

import hashlib

from graphql import GraphQLError

from bookwell.core.rate_limits import Counter, RateLimiter
from bookwell.graphql.limits.rate_limiting import CODE


def checkout_counter(email: str, limit: int) -> Counter:
    # Hashed: no address is kept in Redis.
    address = hashlib.sha256(email.strip().lower().encode("utf-8", "replace")).hexdigest()
    return Counter(f"booking:email:{address}", limit)


async def limit_checkout_bookings(context, email: str) -> None:
    """Counts one booking at this address; RATE_LIMITED (HTTP 429) past the limit."""
    limiter: RateLimiter | None = getattr(context, "rate_limiter", None)
    settings = context.settings
    if limiter is None or not settings.rate_limits:
        return
    counter = checkout_counter(email, settings.booking_limit_per_principal)
    retry_after = await limiter.take([counter], 1, settings.rate_limit_window_seconds)
    if retry_after is not None:
        response = getattr(context, "response", None)
        if response is not None:
            response.status_code = 429
            response.headers["Retry-After"] = str(retry_after)
        raise GraphQLError(
            f"Too many bookings for this email address; try again in {retry_after} s.",
            extensions={"code": CODE, "retryAfter": retry_after},
        )
