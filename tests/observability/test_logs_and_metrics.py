"""Structured logs and /metrics through the real app and database."""

import json
import logging
from datetime import date, timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from structlog.contextvars import bound_contextvars

from bookwell.app import create_app
from bookwell.core.config import Settings
from tests.factories import make_listing
from tests.support.lifespan import started

BOOK = """
mutation Book($input: CreateReservationInput!) {
  createReservation(input: $input) { reservation { id } errors { code } }
}"""


@pytest.fixture
async def json_client(settings: Settings):
    application = create_app(settings.model_copy(update={"log_format": "json"}))
    async with started(application) as application:
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


def json_lines(text: str) -> list[dict]:
    lines = []
    for line in text.splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


async def post(http: httpx.AsyncClient, query: str, name: str) -> httpx.Response:
    return await http.post("/graphql", json={"query": query, "operationName": name})


async def test_one_json_line_per_operation_with_request_id(json_client, capsys):
    capsys.readouterr()
    response = await post(json_client, "query Ping { __typename }", "Ping")
    assert response.status_code == 200
    request_id = response.headers["X-Request-ID"]
    lines = [
        line for line in json_lines(capsys.readouterr().err) if line["event"] == "graphql request"
    ]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == request_id
    assert line["operation_name"] == "Ping"
    assert line["operation_type"] == "query"
    assert line["outcome"] == "ok"
    assert line["level"] == "info"
    assert isinstance(line["duration_ms"], float | int)


async def test_a_bad_query_logs_outcome_error(json_client, capsys):
    capsys.readouterr()
    response = await post(json_client, "query Broken { noSuchField }", "Broken")
    lines = [
        line for line in json_lines(capsys.readouterr().err) if line["event"] == "graphql request"
    ]
    assert [line["outcome"] for line in lines] == ["error"]
    assert lines[0]["request_id"] == response.headers["X-Request-ID"]


async def test_library_logs_are_json_with_the_bound_context(json_client, capsys):
    capsys.readouterr()
    with bound_contextvars(request_id="r-123"):
        logging.getLogger("some.library").warning("disk %s", "full")
    [line] = [line for line in json_lines(capsys.readouterr().err) if line["event"] == "disk full"]
    assert line["request_id"] == "r-123"
    assert line["logger"] == "some.library"
    assert line["level"] == "warning"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


async def test_metrics_count_operations_bookings_and_refusals(client, db, host, guest_token):
    listing = await make_listing(db, host, units=1)
    start = (date.today() + timedelta(days=30)).isoformat()
    variables = {"input": {"listingId": str(listing), "startDate": start, "nights": 2}}
    headers = {"Authorization": f"Bearer {guest_token}"}
    http = client.http
    booked = await http.post(
        "/graphql", json={"query": BOOK, "variables": variables}, headers=headers
    )
    assert booked.json()["data"]["createReservation"]["errors"] == []
    refused = await http.post(
        "/graphql", json={"query": BOOK, "variables": variables}, headers=headers
    )
    assert refused.json()["data"]["createReservation"]["errors"] == [{"code": "UNAVAILABLE"}]
    await http.post("/graphql", json={"query": "query Ping { __typename }"})

    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found = samples(response.text)

    def value(name: str, **labels: str) -> float | None:
        return found.get((name, tuple(sorted(labels.items()))))

    requests = "bookwell_graphql_requests_total"
    assert value(requests, operation="Book", type="mutation", outcome="ok") == 1
    assert value(requests, operation="Book", type="mutation", outcome="user_errors") == 1
    assert value(requests, operation="Ping", type="query", outcome="ok") == 1
    bookings = "bookwell_bookings_total"
    assert value(bookings, mutation="createReservation", outcome="ok") == 1
    assert value(bookings, mutation="createReservation", outcome="UNAVAILABLE") == 1
    assert value("bookwell_graphql_request_duration_seconds_count", operation="Book") == 2
    assert value("bookwell_db_pool_size") == 20
    assert value("bookwell_db_pool_checked_out") is not None
    # The booking wrote an outbox event; nothing relays it in this app.
    assert value("bookwell_outbox_unrelayed") >= 1
    assert value("bookwell_outbox_lag_seconds") >= 0
    assert value("bookwell_metrics_source_up", source="database") == 1
    # No REDIS_URL: queues are not read, and nothing fails.
    assert value("bookwell_metrics_source_up", source="redis") is None
    # The process's own series, as in prometheus_client's default registry.
    assert value("process_resident_memory_bytes") > 0
    assert value("python_gc_collections_total", generation="0") >= 0
    assert value("python_info", **_python_info_labels()) == 1


async def test_operation_names_are_bounded(settings):
    from bookwell.observability.metrics import MAX_OPERATION_NAMES, Metrics

    metrics = Metrics()
    labels = {metrics.operation_label(f"Op{index}") for index in range(MAX_OPERATION_NAMES + 50)}
    assert len(labels) == MAX_OPERATION_NAMES + 1
    assert "other" in labels
    assert metrics.operation_label("x" * 200) == "other"
    assert metrics.operation_label("not a name!") == "other"
    assert metrics.operation_label(None) == "anonymous"
    assert metrics.operation_label("Op0") == "Op0"


async def test_two_apps_have_separate_registries(settings):
    first, second = create_app(settings), create_app(settings)
    assert first.state.metrics.registry is not second.state.metrics.registry


async def test_a_booking_asked_through_a_fragment_is_counted(client, db, host, guest_token):
    listing = await make_listing(db, host, units=1)
    start = (date.today() + timedelta(days=30)).isoformat()
    variables = {"input": {"listingId": str(listing), "startDate": start, "nights": 2}}
    query = """
        mutation Fragmented($input: CreateReservationInput!) { ...Book ...Book }
        fragment Book on Mutation { booked: createReservation(input: $input) { errors { code } } }
    """
    headers = {"Authorization": f"Bearer {guest_token}"}
    answer = await client.http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )
    assert answer.json()["data"]["booked"]["errors"] == []

    found = samples((await client.http.get("/metrics")).text)
    key = ("bookwell_bookings_total", (("mutation", "createReservation"), ("outcome", "ok")))
    assert found.get(key) == 1  # once: the two spreads are one field


def _python_info_labels() -> dict[str, str]:
    import platform

    major, minor, patchlevel = platform.python_version_tuple()
    return {
        "implementation": platform.python_implementation(),
        "major": major,
        "minor": minor,
        "patchlevel": patchlevel,
        "version": platform.python_version(),
    }
