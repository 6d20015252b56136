"""POST /webhooks/stripe: Stripe tells us what happened to a payment.

400 when the `Stripe-Signature` does not prove the body is Stripe's (or is too old, or the
body is not an event); 200 once an event is applied or deliberately ignored; 500 when
applying it failed, so that Stripe delivers it again later.
"""

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse

from bookwell.core.errors import DomainError
from bookwell.flows.payments import apply_stripe_event
from bookwell.services.payments import PaymentProvider, WebhookSource
from bookwell.services.payments.provider import InvalidWebhook

log = logging.getLogger(__name__)


def stripe_webhook(provider: PaymentProvider) -> Callable[[Request], Awaitable[JSONResponse]]:
    async def receive(request: Request) -> JSONResponse:
        if not isinstance(provider, WebhookSource):
            return JSONResponse({"error": "Stripe is not the payment provider."}, status_code=404)
        payload = await request.body()
        try:
            event = provider.construct_event(payload, request.headers.get("stripe-signature"))
        except InvalidWebhook as error:
            log.warning("rejected a Stripe webhook: %s", error)
            return JSONResponse({"error": "Invalid signature or payload."}, status_code=400)
        try:
            outcome = await apply_stripe_event(request.state.db, event=event, provider=provider)
        except DomainError as error:
            log.error("Stripe event %s not applied: %s", event.get("id"), error.message)
            return JSONResponse({"error": "Not applied; deliver again."}, status_code=500)
        log.info("Stripe event %s (%s): %s", event.get("id"), event.get("type"), outcome)
        return JSONResponse({"received": True, "outcome": outcome.value})

    return receive
