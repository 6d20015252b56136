"""Error reports leaked what the logs no longer do: Sentry scrubs headers and fields by
name, but a token in a report download's query string (`?access_token=`), the calendar
feed's `?token=`, or in an exception's message went out as written.

Sentry's integrations patch Starlette, Strawberry and Dramatiq for the whole process and
cannot be taken back, so each test runs Sentry in a child process of its own."""

import json
import subprocess
import sys
import textwrap

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJob3N0In0.c2lnbmF0dXJlLXZhbHVl"

WITH_SENTRY = """
import json, os, sys
import sentry_sdk
from sentry_sdk.transport import Transport
from bookwell.core.config import Settings
from bookwell.observability.sentry import init_sentry

sent = []

class Captured(Transport):
    def capture_envelope(self, envelope):
        sent.append(envelope.serialize().decode())

real_init = sentry_sdk.init
sentry_sdk.init = lambda **options: real_init(**options, transport=Captured())
settings = Settings(sentry_dsn="https://public@sentry.example.invalid/1")
assert init_sentry(settings)
"""

REPORT_AN_ERROR = """
JWT = sys.argv[1]
sentry_sdk.capture_event(
    {
        "message": f"feed failed for /listings/1/calendar.ics?token={JWT}",
        "request": {
            "url": "http://api.example/reports/occupancy.csv",
            "query_string": f"access_token={JWT}&from=2026-01-01",
            "headers": {"Authorization": "Bearer abcdefghijkl", "Accept": "text/csv"},
        },
        "extra": {"password": "hunter2hunter2", "note": "Basic dXNlcjpwYXNzd29yZA=="},
    }
)
sentry_sdk.flush()
print(json.dumps(sent))
"""

SEARCH_WITH_SENTRY_ON = """
from starlette.testclient import TestClient
from bookwell.app import create_app

query = '''query($start: Date!) {
  searchAvailability(startDate: $start, nights: 2) { edges { cursor node { id title } } }
  listings(first: 5) { edges { node { id reservations(first: 2) { edges { node { id } } } } } }
}'''
with TestClient(create_app(settings, database_url=os.environ["DATABASE_URL"])) as client:
    answer = client.post("/graphql", json={"query": query, "variables": {"start": "2031-06-01"}})
print(json.dumps(answer.json()))
"""


def _run(script: str, *args: str, env: dict | None = None) -> str:
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip().splitlines()[-1]


def test_error_reports_carry_no_credentials():
    sent = "\n".join(json.loads(_run(WITH_SENTRY + REPORT_AN_ERROR, JWT)))
    assert "from=2026-01-01" in sent and "text/csv" in sent  # the event did go out
    for secret in (JWT, "abcdefghijkl", "hunter2hunter2", "dXNlcjpwYXNzd29yZA=="):
        assert secret not in sent
    assert "[REDACTED]" in sent


async def test_pages_written_as_json_answer_with_sentry_on(db, host, database_url, tmp_path):
    """Sentry's Strawberry integration resolves through field middleware, which took the
    JSON-written edges off their fast path: every search answered INTERNAL_ERROR."""
    from tests.factories import make_listing

    await make_listing(db, host, city="Lyon")
    env = {"DATABASE_URL": database_url, "BOOKWELL_DATA_DIR": str(tmp_path), "PATH": ""}
    answer = json.loads(_run(WITH_SENTRY + SEARCH_WITH_SENTRY_ON, env=env))
    assert "errors" not in answer, answer
    assert len(answer["data"]["searchAvailability"]["edges"]) == 1
    assert len(answer["data"]["listings"]["edges"]) == 1


def test_traces_carry_no_credentials():
    """The request span's URL attributes held `?access_token=` as sent."""
    from opentelemetry.instrumentation.starlette import StarletteInstrumentor
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from starlette.applications import Starlette
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from bookwell.observability.tracing import redact_span_urls

    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    app = Starlette(routes=[Route("/reports/{file}", lambda request: PlainTextResponse("ok"))])
    StarletteInstrumentor.instrument_app(
        app, server_request_hook=redact_span_urls, tracer_provider=provider
    )
    with TestClient(app) as client:
        assert client.get(f"/reports/a.csv?access_token={JWT}&from=2026-01-01").text == "ok"
    attributes = [str(dict(span.attributes or {})) for span in exported.get_finished_spans()]
    assert attributes and any("from=2026-01-01" in seen for seen in attributes)
    assert not any(JWT in seen for seen in attributes)
