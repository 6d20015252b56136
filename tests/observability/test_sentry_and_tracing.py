"""Sentry and OpenTelemetry start only when configured, with the right integrations. Their
entry points are replaced by recorders here: nothing is sent anywhere."""

from pydantic import SecretStr

from bookwell.app import create_app
from bookwell.observability import tracing
from bookwell.observability.sentry import init_sentry
from bookwell.observability.tracing import init_tracing

DSN = "https://public@sentry.example.invalid/1"


def record_calls(monkeypatch, target, name: str) -> list:
    calls = []
    monkeypatch.setattr(target, name, lambda *args, **kwargs: calls.append((args, kwargs)))
    return calls


def test_sentry_is_off_without_a_dsn(settings, monkeypatch):
    import sentry_sdk

    calls = record_calls(monkeypatch, sentry_sdk, "init")
    assert settings.sentry_dsn is None
    assert init_sentry(settings) is False
    create_app(settings)
    assert calls == []


def test_sentry_starts_with_starlette_strawberry_and_dramatiq(settings, monkeypatch):
    import sentry_sdk
    from sentry_sdk.integrations.dramatiq import DramatiqIntegration
    from sentry_sdk.integrations.starlette import StarletteIntegration
    from sentry_sdk.integrations.strawberry import StrawberryIntegration

    calls = record_calls(monkeypatch, sentry_sdk, "init")
    configured = settings.model_copy(update={"sentry_dsn": SecretStr(DSN)})
    create_app(configured)
    [(_, options)] = calls
    assert options["dsn"] == DSN
    assert options["environment"] == "development"
    kinds = {type(integration) for integration in options["integrations"]}
    assert kinds == {StarletteIntegration, StrawberryIntegration, DramatiqIntegration}


def test_tracing_is_off_without_an_endpoint(settings, monkeypatch):
    from opentelemetry import trace

    monkeypatch.setattr(tracing, "_started", False)
    calls = record_calls(monkeypatch, trace, "set_tracer_provider")
    assert init_tracing(settings) is False
    app = create_app(settings)
    assert calls == []
    assert not getattr(app, "_is_instrumented_by_opentelemetry", False)


def test_tracing_exports_to_the_endpoint_and_instruments_the_app(settings, monkeypatch):
    from opentelemetry import trace
    from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
    from opentelemetry.instrumentation.starlette import StarletteInstrumentor

    monkeypatch.setattr(tracing, "_started", False)
    providers = record_calls(monkeypatch, trace, "set_tracer_provider")
    asyncpg_calls = record_calls(monkeypatch, AsyncPGInstrumentor, "instrument")
    apps = record_calls(monkeypatch, StarletteInstrumentor, "instrument_app")
    configured = settings.model_copy(
        update={"otel_exporter_otlp_endpoint": "http://collector.invalid:4318/"}
    )
    app = create_app(configured)
    [((provider,), _)] = providers
    [processor] = provider._active_span_processor._span_processors
    assert processor.span_exporter._endpoint == "http://collector.invalid:4318/v1/traces"
    assert len(asyncpg_calls) == 1
    assert [args for args, _ in apps] == [(app,)]
    provider.shutdown()


async def test_a_message_is_handled_in_a_span_of_the_enqueuers_trace(
    settings, redis_server_url, queue_namespace
):
    import asyncio

    import dramatiq
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from bookwell.observability.dramatiq_context import carry_context
    from bookwell.observability.tracing import trace_messages
    from bookwell.workers.broker import QUERIES, build_broker, close_broker
    from tests.workers.queue_helpers import forget_queue

    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    configured = settings.model_copy(update={"queue_namespace": queue_namespace})
    broker = build_broker(configured, redis_server_url)
    broker.add_middleware(trace_messages(provider))

    async def current_trace() -> str:
        return format(trace.get_current_span().get_span_context().trace_id, "032x")

    probe = dramatiq.actor(
        carry_context(current_trace), broker=broker, queue_name=QUERIES, store_results=True
    )
    worker = dramatiq.Worker(broker, worker_threads=1)
    worker.start()
    try:
        with provider.get_tracer("test").start_as_current_span("request") as request:
            message = probe.send()
        results = broker.get_results_backend()
        seen = await asyncio.to_thread(results.get_result, message, block=True, timeout=20_000)
    finally:
        worker.stop()
        forget_queue(broker.client, queue_namespace)
        close_broker(broker)
    trace_id = format(request.get_span_context().trace_id, "032x")
    assert "traceparent" in message.options["otel"]
    assert seen == trace_id  # the actor body runs inside the consumer span
    consumer = [span for span in exported.get_finished_spans() if span.name.startswith("dramatiq")]
    assert [span.name for span in consumer] == ["dramatiq current_trace"]
    assert consumer[0].parent.span_id == request.get_span_context().span_id
