"""OpenTelemetry tracing, only when OTEL_EXPORTER_OTLP_ENDPOINT is set (imported lazily):
spans for HTTP requests (Starlette) and database calls (asyncpg), exported over OTLP/HTTP.
The process-wide parts (tracer provider, asyncpg) are set up once; each app is
instrumented by `instrument_app`."""

from typing import Any

from starlette.applications import Starlette

from bookwell.core.config import Settings
from bookwell.observability.redaction import redact_text

SERVICE_NAME = "bookwell"

_started = False


def init_tracing(settings: Settings) -> bool:
    """Whether tracing is on."""
    global _started
    endpoint = settings.otel_exporter_otlp_endpoint
    if not endpoint:
        return False
    if _started:
        return True
    try:
        from opentelemetry import trace
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError as error:
        raise RuntimeError(
            "OTEL_EXPORTER_OTLP_ENDPOINT is set but OpenTelemetry is not installed: install "
            "bookwell[otel]."
        ) from error

    provider = TracerProvider(resource=Resource.create({"service.name": SERVICE_NAME}))
    # The variable names the collector's base URL; an explicit endpoint is used as given.
    exporter = OTLPSpanExporter(endpoint=endpoint.rstrip("/") + "/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    AsyncPGInstrumentor().instrument()
    _started = True
    return True


def instrument_app(app: Starlette, settings: Settings) -> bool:
    if not init_tracing(settings):
        return False
    from opentelemetry.instrumentation.starlette import StarletteInstrumentor

    StarletteInstrumentor.instrument_app(app, server_request_hook=redact_span_urls)
    return True


# Span attributes that may hold a request's query string (`?access_token=`, `?token=`).
URL_ATTRIBUTES = ("http.url", "http.target", "url.full", "url.query", "http.route")


def redact_span_urls(span: Any, scope: dict[str, Any]) -> None:
    """Credentials in a request's URL never reach a trace, as they never reach a log line."""
    attributes = getattr(span, "attributes", None) or {}
    for name in URL_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str) and (redacted := redact_text(value)) != value:
            span.set_attribute(name, redacted)


def trace_messages(tracer_provider=None):
    """A Dramatiq middleware: the enqueuer's trace context travels in the message options
    (`otel`), and the worker handles each message in a consumer span of that trace."""
    import dramatiq
    from opentelemetry import context, propagate, trace
    from opentelemetry.trace import SpanKind, Status, StatusCode

    tracer = trace.get_tracer("bookwell.workers", tracer_provider=tracer_provider)

    class TraceMessages(dramatiq.Middleware):
        def __init__(self) -> None:
            self._open: dict[str, tuple] = {}

        def before_enqueue(self, broker, message, delay) -> None:
            carrier: dict[str, str] = {}
            propagate.inject(carrier)
            if carrier:
                message.options["otel"] = carrier

        def before_process_message(self, broker, message) -> None:
            parent = propagate.extract(message.options.get("otel") or {})
            span = tracer.start_span(
                f"dramatiq {message.actor_name}",
                context=parent,
                kind=SpanKind.CONSUMER,
                attributes={
                    "messaging.system": "dramatiq",
                    "messaging.message.id": message.message_id,
                },
            )
            token = context.attach(trace.set_span_in_context(span))
            self._open[message.message_id] = (span, token)

        def after_process_message(self, broker, message, *, result=None, exception=None) -> None:
            opened = self._open.pop(message.message_id, None)
            if opened is None:
                return
            span, token = opened
            if exception is not None:
                span.record_exception(exception)
                span.set_status(Status(StatusCode.ERROR))
            context.detach(token)
            span.end()

        def after_skip_message(self, broker, message) -> None:
            self.after_process_message(broker, message)

    return TraceMessages()
