"""`bookwell serve` as a newcomer runs it: a real process, stopped with Ctrl-C (SIGINT)."""

import os
import time

import httpx
import pytest

from tests.cli.serving import Serve, serve_env
from tests.support.ports import free_port

pytestmark = pytest.mark.slow

ME = {"query": "{ me { email } listings { totalCount } }"}


@pytest.mark.skipif(
    bool(os.environ.get("TEST_DATABASE_URL")), reason="exercises the embedded server only"
)
def test_serve_embedded_first_start_then_restart(tmp_path):
    data_dir = tmp_path / "data"
    port = free_port()
    first = Serve(["--port", str(port)], serve_env(BOOKWELL_DATA_DIR=str(data_dir)))
    token = first.wait_for(r"Demo API token \(demo@bookwell\.dev\): ([0-9a-f-]{36})").group(1)
    first.wait_for(r"Uvicorn running on http://127\.0\.0\.1:" + str(port))
    answer = httpx.post(
        f"http://127.0.0.1:{port}/graphql", json=ME, headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert answer["data"]["me"] == {"email": "demo@bookwell.dev"}
    listings = answer["data"]["listings"]["totalCount"]
    assert 15 <= listings <= 25
    assert "Loading demo data" in first.output
    assert first.interrupt() == 0
    pgdata = data_dir / "pg"
    assert (pgdata / "PG_VERSION").exists()
    assert not (pgdata / "postmaster.pid").exists(), "embedded PostgreSQL still running"

    second = Serve(["--port", str(port)], serve_env(BOOKWELL_DATA_DIR=str(data_dir)))
    token = second.wait_for(r"Demo API token \(demo@bookwell\.dev\): ([0-9a-f-]{36})").group(1)
    second.wait_for("Uvicorn running")
    again = httpx.post(
        f"http://127.0.0.1:{port}/graphql", json=ME, headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert again["data"]["listings"]["totalCount"] == listings  # the same data, not seeded twice
    assert "Loading demo data" not in second.output
    assert second.interrupt() == 0


def test_serve_with_database_url_starts_nothing_embedded(tmp_path, database_url):
    port = free_port()
    data_dir = tmp_path / "data"
    env = serve_env(
        DATABASE_URL=database_url,
        BOOKWELL_PORT=str(port),
        BOOKWELL_DATA_DIR=str(data_dir),
        BOOKWELL_SEED_DEMO_DATA="false",
    )
    serve = Serve([], env)
    serve.wait_for("Uvicorn running on http://127.0.0.1:" + str(port))
    health = httpx.get(f"http://127.0.0.1:{port}/health")
    assert health.json() == {"status": "ok"}
    assert "embedded" not in serve.output.lower()
    assert serve.interrupt() == 0
    assert not (data_dir / "pg").exists()


BOOK_FIRST_STAY = """
mutation($id: ID!, $start: Date!) {
  createReservation(input: {listingId: $id, startDate: $start, nights: 2}) {
    reservation { id } errors { code message }
  }
}"""


def test_serve_in_background_mode_writes_the_booking_emails(tmp_path, database_url):
    """What the newcomer sees: book through the API, and the emails land in <data>/mail."""
    from datetime import date, timedelta

    port = free_port()
    data_dir = tmp_path / "data"
    env = serve_env(DATABASE_URL=database_url, BOOKWELL_DATA_DIR=str(data_dir))
    env = {k: v for k, v in env.items() if k not in ("REDIS_URL", "SMTP_URL")}
    serve = Serve(["--port", str(port), "--background"], env)
    token = serve.wait_for(r"Demo API token \(demo@bookwell\.dev\): ([0-9a-f-]{36})").group(1)
    serve.wait_for("Uvicorn running")
    assert "Starting embedded Redis" in serve.output
    url, auth = f"http://127.0.0.1:{port}/graphql", {"Authorization": f"Bearer {token}"}
    stays = httpx.post(
        url,
        json={"query": "{ listings(filter: {kind: STAY}, first: 1) { edges { node { id } } } }"},
    ).json()
    listing_id = stays["data"]["listings"]["edges"][0]["node"]["id"]
    start = (date.today() + timedelta(days=300)).isoformat()
    variables = {"id": listing_id, "start": start}
    booked = httpx.post(url, json={"query": BOOK_FIRST_STAY, "variables": variables}, headers=auth)
    assert booked.json()["data"]["createReservation"]["errors"] == []

    mail = data_dir / "mail"
    deadline = time.monotonic() + 60
    while len(list(mail.glob("*.eml"))) < 1 and time.monotonic() < deadline:
        time.sleep(0.1)
    written = [path.read_text() for path in mail.glob("*.eml")]
    assert written and all(
        "demo@bookwell.dev" in text or "@bookwell.dev" in text for text in written
    )
    assert serve.interrupt() == 0
    assert "Stopped." in serve.output
