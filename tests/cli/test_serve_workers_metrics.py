"""`bookwell serve --workers 2`: /metrics counts the operations every worker answered,
whichever worker answers the scrape, a worker killed (and respawned) included."""

import json
import os
import re
import signal

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.cli.serving import answered_by, serve_two_workers

pytestmark = [pytest.mark.slow, pytest.mark.direct_postgres]

REQUESTS = 40
MAX_SCRAPES = 100
SCRAPE = b"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n"


def _graphql(query: str) -> bytes:
    body = json.dumps({"query": query}).encode()
    return (
        b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )


def _total(exposition: bytes, sample: str) -> float:
    text = exposition.split(b"\r\n\r\n", 1)[1].decode()
    return sum(
        found.value
        for family in text_string_to_metric_families(text)
        for found in family.samples
        if found.name == sample
    )


def _scrape_each_worker(port: int, workers: list[int]) -> list[bytes]:
    """Scrapes (at least 4) on new connections until each worker has answered some."""
    scrapes: list[bytes] = []
    scraped_by: set[int] = set()
    while scraped_by != set(workers) or len(scrapes) < 4:
        assert len(scrapes) < MAX_SCRAPES, f"only worker(s) {scraped_by} answered the scrapes"
        pid, exposition = answered_by(port, workers, SCRAPE)
        assert exposition.startswith(b"HTTP/1.1 200")
        scrapes.append(exposition)
        scraped_by.add(pid)
    return scrapes


def _assert_counted(scrapes: list[bytes], operations: int) -> None:
    for exposition in scrapes:
        assert _total(exposition, "bookwell_graphql_requests_total") == operations
        assert _total(exposition, "bookwell_graphql_request_duration_seconds_count") == operations


def test_metrics_count_the_operations_of_every_worker_on_every_scrape(tmp_path, database_url):
    temp = tmp_path / "tmp"  # where serve makes the workers' metrics directory
    temp.mkdir()
    serve, port, workers = serve_two_workers(tmp_path, database_url, TMPDIR=str(temp))

    ping = _graphql("query Ping { __typename }")
    answers = [answered_by(port, workers, ping) for _ in range(REQUESTS)]
    assert all(answer.startswith(b"HTTP/1.1 200") for _, answer in answers)
    assert {pid for pid, _ in answers} == set(workers)
    _assert_counted(_scrape_each_worker(port, workers), REQUESTS)

    # A worker killed and respawned by uvicorn: what it answered still counts ...
    killed = workers[0]
    os.kill(killed, signal.SIGKILL)
    serve.wait_for(rf"Child process \[{killed}\] died[\s\S]*Application startup complete")
    started = re.findall(r"Started server process \[(\d+)\]", serve.output)
    workers = [workers[1], int(started[-1])]
    assert workers[1] != killed
    _assert_counted(_scrape_each_worker(port, workers), REQUESTS)
    # and the new worker's count adds to it
    answers = [answered_by(port, workers, ping) for _ in range(REQUESTS)]
    assert {pid for pid, _ in answers} == set(workers)
    _assert_counted(_scrape_each_worker(port, workers), 2 * REQUESTS)

    serve.process.send_signal(signal.SIGTERM)
    assert serve.finish(timeout=120) == 0, serve.output
    assert list(temp.iterdir()) == []  # the metrics directory went with the server
