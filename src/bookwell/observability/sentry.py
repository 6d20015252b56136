"""Sentry, only when SENTRY_DSN is set: imported lazily, so nothing changes without it.
Called before the schema and any broker are built, since the Strawberry and Dramatiq
integrations hook into their construction."""

from typing import Any

from bookwell.core.config import Settings
from bookwell.observability.redaction import redact_value


def init_sentry(settings: Settings) -> bool:
    """Whether Sentry was started."""
    if settings.sentry_dsn is None:
        return False
    try:
        import sentry_sdk
        from sentry_sdk.integrations.dramatiq import DramatiqIntegration
        from sentry_sdk.integrations.starlette import StarletteIntegration
        from sentry_sdk.integrations.strawberry import StrawberryIntegration
    except ImportError as error:
        raise RuntimeError(
            "SENTRY_DSN is set but Sentry's SDK is not installed: install bookwell[sentry]."
        ) from error

    dsn = settings.sentry_dsn.get_secret_value()
    client = sentry_sdk.get_client()
    if client.is_active() and client.dsn == dsn:
        return True  # the CLI started it before create_app
    sentry_sdk.init(
        dsn=dsn,
        environment=settings.environment,
        integrations=[
            StarletteIntegration(),
            StrawberryIntegration(async_execution=True),
            DramatiqIntegration(),
        ],
        send_default_pii=False,
        # Sentry scrubs headers and fields by name, not a token inside a query string or a
        # message: every event goes through the log lines' redaction too.
        before_send=scrubbed,
        before_send_transaction=scrubbed,
    )
    return True


def scrubbed(event: Any, hint: Any) -> Any:
    """The event with credentials redacted (observability/redaction.py)."""
    return redact_value(event)
