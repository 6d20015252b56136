"""bench/peer_workloads.py and bench/goals.py: the peer's requests and the goals' verdict."""

import base64
import json
import uuid

from bench.goals import BARE, PEER, goals
from bench.peer_workloads import bookwell_cursor_id, decode_id, peer_cursor, peer_workloads
from bench.report import Measurement, Row
from bench.scenarios import Setup, _cursor, workloads

LISTING = uuid.UUID("01a24ea6-7a08-75b7-ba7e-6754c6c76144")


def test_cursors_name_the_same_listing():
    assert bookwell_cursor_id(_cursor(LISTING)) == LISTING
    cursor = peer_cursor("003c8cd18e", LISTING)
    assert json.loads(base64.b64decode(cursor)) == ["003c8cd18e", str(LISTING)]


def test_both_kinds_of_global_id_decode_to_the_uuid():
    bookwell = base64.b64encode(f"Listing:{LISTING}".encode()).decode()
    postgraphile = base64.b64encode(json.dumps(["Listing", str(LISTING)]).encode()).decode()
    assert decode_id(bookwell) == decode_id(postgraphile) == str(LISTING)


def test_peer_asks_for_the_same_pages_and_ranges_in_the_same_order():
    ids = [uuid.uuid4() for _ in range(300)]
    loads = workloads(Setup("token", ids, ["A"], ids), 50, seed=3)
    peers = peer_workloads(loads, "digest")
    for mine, theirs in zip(loads["nested"].bodies, peers["nested"].bodies, strict=True):
        after = json.loads(mine)["variables"]["after"]
        peer_after = json.loads(theirs)["variables"]["after"]
        assert json.loads(base64.b64decode(peer_after))[1] == str(bookwell_cursor_id(after))
    for mine, theirs in zip(
        loads["availability"].bodies, peers["availability"].bodies, strict=True
    ):
        assert json.loads(mine)["variables"] == json.loads(theirs)["variables"]


def _row(key: str, server: str, rps: float, server_cpu: float, pg_cpu: float) -> Row:
    run = Measurement(requests=int(rps * 10), seconds=10, p50_ms=1, p99_ms=2)
    run.server_cpu_ms, run.pg_cpu_ms = server_cpu, pg_cpu
    run.outcomes["ok"] = run.requests
    return Row(key, key, 10, [run], server=server)


def test_goals_compare_with_the_peer_and_the_bare_handler():
    rows = [
        _row("nested", "new", 300, 1.0, 1.5),
        _row("nested", PEER, 150, 4.0, 1.5),
        _row("availability", "new", 900, 0.5, 0.4),
        _row("availability", PEER, 1000, 0.5, 0.3),
        _row("search_city", "new", 600, 1.0, 0.5),
        _row("search_city", BARE, 1000, 0.3, 0.5),
    ]
    found = {goal.split(":")[0]: met for goal, met, _ in goals(rows, "new")}
    assert found["nested read"] is True  # x2.0 req/s, 2.5 / 5.5 of the CPU
    assert found["availability"] is False  # 0.9 ms against 0.8 ms
    assert found["one-city search"] is False  # x0.6
    assert found["uncontended createReservation"] is None
