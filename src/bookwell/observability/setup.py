"""One call per process entry (the CLI, create_app): logs, then Sentry and tracing when
configured."""

from bookwell.core.config import Settings
from bookwell.observability.logging import configure_logging
from bookwell.observability.sentry import init_sentry
from bookwell.observability.tracing import init_tracing


def configure_observability(settings: Settings, *, verbose: bool = False) -> None:
    configure_logging(settings, verbose=verbose)
    init_sentry(settings)
    init_tracing(settings)
