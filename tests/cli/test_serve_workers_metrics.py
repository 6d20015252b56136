"""`bookwell serve --workers 2`: /metrics counts the operations every worker answered,
whichever worker answers the scrape."""

import json
import signal

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.cli.serving import answered_by, serve_two_workers

pytestmark = [pytest.mark.slow, pytest.mark.direct_postgres]

REQUESTS = 40
MAX_SCRAPES = 100


def _graphql(query: str) -> bytes:
    body = json.dumps({"query": query}).encode()
    return (
        b"POST /graphql HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )


SCRAPE = b"GET /metrics HTTP/1.1\r\nHost: test\r\n\r\n"


def _total(exposition: bytes, sample: str) -> float:
    text = exposition.split(b"\r\n\r\n", 1)[1].decode()
    return sum(
        found.value
        for family in text_string_to_metric_families(text)
        for found in family.samples
        if found.name == sample
    )


def test_metrics_sum_the_operations_of_both_workers_on_every_scrape(tmp_path, database_url):
    temp = tmp_path / "tmp"  # where serve makes the workers' metrics directory
    temp.mkdir()
    serve, port, workers = serve_two_workers(tmp_path, database_url, TMPDIR=str(temp))

    ping = _graphql("query Ping { __typename }")
    answers = [answered_by(port, workers, ping) for _ in range(REQUESTS)]
    assert all(answer.startswith(b"HTTP/1.1 200") for _, answer in answers)
    assert {pid for pid, _ in answers} == set(workers)

    scraped_by: set[int] = set()
    scrapes = 0
    # Every scrape counts all the operations; scrapes go on until each worker answered some.
    while scraped_by != set(workers) or scrapes < 4:
        assert scrapes < MAX_SCRAPES, f"only worker(s) {scraped_by} answered the scrapes"
        pid, exposition = answered_by(port, workers, SCRAPE)
        assert exposition.startswith(b"HTTP/1.1 200")
        assert _total(exposition, "bookwell_graphql_requests_total") == REQUESTS
        assert _total(exposition, "bookwell_graphql_request_duration_seconds_count") == REQUESTS
        scraped_by.add(pid)
        scrapes += 1

    serve.process.send_signal(signal.SIGTERM)
    assert serve.finish(timeout=120) == 0, serve.output
    assert list(temp.iterdir()) == []  # the metrics directory went with the server
