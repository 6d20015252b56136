"""Payments: a provider interface, the built-in provider, Stripe's (stripe_adapter.py: the
`stripe` extra), and the rules that use them (service.py), including Stripe's webhook events
(events.py)."""

from bookwell.core.config import Settings
from bookwell.services.payments.builtin import BuiltinProvider
from bookwell.services.payments.provider import (
    Charge,
    ChargeStatus,
    PaymentProvider,
    ProviderUnavailable,
    RefundResult,
    WebhookSource,
)


def build_provider(settings: Settings) -> PaymentProvider:
    """The configured provider; Stripe without its keys fails here, at start-up."""
    if settings.payment_provider == "builtin":
        return BuiltinProvider()
    api_key, webhook_secret = settings.stripe_api_key, settings.stripe_webhook_secret
    if not (api_key and api_key.get_secret_value()) or not (
        webhook_secret and webhook_secret.get_secret_value()
    ):
        raise RuntimeError(
            "BOOKWELL_PAYMENT_PROVIDER=stripe needs BOOKWELL_STRIPE_API_KEY and "
            "BOOKWELL_STRIPE_WEBHOOK_SECRET."
        )
    try:
        from bookwell.services.payments.stripe_adapter import StripeProvider
    except ImportError as error:
        raise RuntimeError(
            "BOOKWELL_PAYMENT_PROVIDER=stripe needs Stripe's library: install "
            "bookwell[stripe] (pip install 'bookwell[stripe]')."
        ) from error
    return StripeProvider(
        api_key=api_key.get_secret_value(), webhook_secret=webhook_secret.get_secret_value()
    )


__all__ = [
    "BuiltinProvider",
    "Charge",
    "ChargeStatus",
    "PaymentProvider",
    "ProviderUnavailable",
    "RefundResult",
    "WebhookSource",
    "build_provider",
]
