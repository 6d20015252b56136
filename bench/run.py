"""Load the bench data, start the server, measure every scenario, print the table.

    uv run python -m bench.run                      # 10k listings, 1M reservations, 10 s each
    uv run python -m bench.run --reuse --repeat 3   # keep the loaded data; medians of 3 runs

See bench/README.md for what is measured and how.
"""

import argparse
import asyncio
import gc
import json
import sys
import time
from contextlib import ExitStack
from pathlib import Path

import asyncpg
from sqlalchemy import make_url

from bench import checks, data, goals, peer, scenarios, wrk
from bench.client import closed_loop, measurement
from bench.database import bench_database, plain
from bench.peer_workloads import check_equivalent, cursor_prefix, peer_workloads
from bench.pgcpu import ServedBackends, cpu_between, watching
from bench.report import Measurement, Row, as_json, revision, summary
from bench.scenarios import ORDER
from bench.servers import RESULTS, Server, bare_server, graphql_server
from bookwell.core import migrate
from bookwell.core.db import describe

# The most requests a second a workload is provisioned for (bodies, booking guests).
MAX_RATE = 3_000


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--listings", type=int, default=10_000)
    parser.add_argument("--reservations", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep loaded data of these sizes")
    parser.add_argument("--duration", type=float, default=10, help="seconds per scenario run")
    parser.add_argument("--warmup", type=float, default=2, help="seconds before each, unmeasured")
    parser.add_argument("--clients", type=int, default=10, help="clients in scenarios 1-3, 5")
    parser.add_argument("--contenders", type=int, default=100, help="clients in scenario 4")
    parser.add_argument("--repeat", type=int, default=1, help="runs of every scenario; medians")
    parser.add_argument("--client", choices=["auto", "wrk", "python"], default="auto")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--only",
        nargs="+",
        choices=[*ORDER, "contended"],
        help="measure just these scenarios (the bare search goes with search_city)",
    )
    parser.add_argument(
        "--server-src",
        action="append",
        type=Path,
        metavar="CHECKOUT",
        help="run Bookwell from this checkout's src/ (repeat it to alternate several, e.g. "
        "main before and after a change); default: this checkout",
    )
    parser.add_argument(
        "--workers",
        type=int,
        nargs="+",
        default=[1],
        metavar="N",
        help="uvicorn worker processes of each Bookwell server (CPU summed over them, and over "
        "their PostgreSQL backends); several, e.g. 1 2: one server each, alternated. Not the "
        "bare handler's nor the peer's (one process each)",
    )
    parser.add_argument(
        "--peer",
        choices=["postgraphile", "none"],
        default="postgraphile",
        help="the peer for the nested read and availability (installed on first use)",
    )
    return parser.parse_args(argv)


async def prepare(url: str, args: argparse.Namespace) -> tuple[scenarios.Setup, str]:
    """Load the data (unless --reuse finds it loaded); the setup and a line about the data."""
    conn = await asyncpg.connect(plain(url))
    try:
        await data.bench_token(conn)  # removes an earlier run's bookings first
        found = (
            await conn.fetchval("SELECT count(*) FROM listings"),
            await conn.fetchval("SELECT count(*) FROM reservations"),
        )
        wanted = (args.listings, args.reservations)
        if args.reuse and found == wanted:
            note = f"Data: reused, {found[0]} listings and {found[1]} reservations."
        else:
            if args.reuse:
                print(f"Not reusing: the database holds {found[0]} listings, {found[1]} "
                      "reservations.")  # fmt: skip
            print(f"Loading {args.listings} listings and {args.reservations} reservations ...")
            started = time.perf_counter()
            steps = await data.load(
                conn, listings=args.listings, reservations=args.reservations, seed=args.seed
            )
            took = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in steps.items())
            note = (
                f"Data: loaded {args.listings} listings and {args.reservations} reservations "
                f"in {time.perf_counter() - started:.1f} s ({took})."
            )
        print(note)
        token = await data.bench_token(conn)
        ids = [row["id"] for row in await conn.fetch("SELECT id FROM listings ORDER BY id")]
        cities = [row["city"] for row in await conn.fetch("SELECT DISTINCT city FROM listings")]
        # Nights are booked on stays only; the other kinds book time slots (bookSlot).
        stays = "SELECT id FROM listings WHERE kind = 'STAY' ORDER BY id"
        stay_ids = [row["id"] for row in await conn.fetch(stays)]
        return scenarios.Setup(token, ids, cities, stay_ids), note
    finally:
        await conn.close()


async def measure(
    server: Server,
    workload: scenarios.Workload,
    args,
    headers: dict,
    tool: str,
    backends: ServedBackends,
) -> Measurement:
    """A warm-up, then one measured run; with the CPU time per request of the server process
    and of the PostgreSQL backends serving it."""
    for seconds, measured in ((args.warmup, False), (args.duration, True)):
        if seconds <= 0:
            continue
        pg_before = await backends.sample(server.pids()) if measured else None
        cpu, bodies = server.cpu_seconds(), workload.next_bodies()
        collections = server.collections() if measured else None
        if tool == "wrk":
            found = await asyncio.to_thread(
                wrk.run, port=server.port, path=workload.path, bodies=bodies,
                clients=args.clients, seconds=seconds, headers=headers, tokens=workload.tokens,
            )  # fmt: skip
        else:
            found = measurement(
                await closed_loop(
                    port=server.port,
                    path=workload.path,
                    bodies=bodies,
                    classify=workload.classify,
                    clients=args.clients,
                    seconds=seconds,
                    headers=headers,
                    tokens=workload.tokens,
                )
            )
        # + clients: requests cut short at the end of a run may have reached the server.
        workload.sent += sum(found.outcomes.values()) + args.clients
        if measured and found.requests and pg_before is not None:
            found.server_cpu_ms = (server.cpu_seconds() - cpu) * 1000 / found.requests
            pg_after = await backends.sample(server.pids())
            used, found.pg_backends_gone = cpu_between(pg_before, pg_after)
            found.pg_cpu_ms = used * 1000 / found.requests
            after = server.collections()
            if collections is not None and after is not None:
                found.collections_per_1k = tuple(  # type: ignore[assignment]
                    (b - a) * 1000 / found.requests for a, b in zip(collections, after, strict=True)
                )
    return found


def pick_client(choice: str) -> str:
    if choice == "wrk" and not wrk.available():
        raise SystemExit("--client wrk: wrk is not installed (apt-get install wrk).")
    return "wrk" if choice == "wrk" or (choice == "auto" and wrk.available()) else "python"


Group = tuple[str, list[tuple[Server, scenarios.Workload]]]


async def prepare_peer(peer_server, bookwell: Server, loads: dict, auth: dict) -> dict:
    """The peer's workloads, checked like Bookwell's and against Bookwell's answers."""
    if peer_server is None:
        return {}
    peers = peer_workloads(loads, await cursor_prefix(peer_server))
    for load in peers.values():
        await checks.check(peer_server, load, {})
    await check_equivalent(bookwell, peer_server, loads, peers, auth)
    return peers


def plan(chosen: set[str], bookwells: list[Server], bare: Server, peer_server, loads, peers):
    """Per scenario, the servers that answer it in turn: each Bookwell, then the bare handler
    (one-city search) or the peer (nested read, availability), with their workloads."""
    groups: list[Group] = []
    for key in ORDER:
        if key == "search_bare" or key not in chosen:
            continue
        entries = [(server, loads[key]) for server in bookwells]
        if key == "search_city":
            entries.append((bare, loads["search_bare"]))
        if key in peers:
            entries.append((peer_server, peers[key]))
        groups.append((key, entries))
    return groups


async def booker_tokens(url: str, args) -> list[str]:
    """Guests for the uncontended bookings: one guest may hold only so many unpaid nights
    (100) and stays of a listing (2), so each books about 20 of them, at up to MAX_RATE
    bookings a second (each run starts again from the first guest)."""
    servers = len(args.server_src or [0]) * len(args.workers)
    bookings = int((args.duration + args.warmup) * args.repeat * servers * MAX_RATE)
    conn = await asyncpg.connect(plain(url))
    try:
        return await data.contender_tokens(conn, max(args.contenders, bookings // 20))
    finally:
        await conn.close()


async def run_scenarios(url, setup, bookwells: list[Server], bare: Server, peer_server, args):
    tool = pick_client(args.client)
    auth = {"Authorization": f"Bearer {setup.token}"}
    # Bodies per workload: more than all its runs send.
    servers = len(bookwells)
    count = max(2_000, int((args.duration + args.warmup) * args.repeat * servers * MAX_RATE))
    loads = scenarios.workloads(setup, count, args.seed)
    for server in bookwells:
        await checks.run_all(loads, server, bare, auth)
    loads["book"].tokens = await booker_tokens(url, args)
    peers = await prepare_peer(peer_server, bookwells[0], loads, auth)
    # The client's own pauses are not the servers' latency: its bodies, tokens and ids
    # (millions of objects) made each full collection of this process ~70 ms, the worst
    # contended round of a run. They live until the end; the collector leaves them be.
    gc.collect()
    gc.freeze()
    chosen = set(args.only or [*ORDER, "contended"])
    groups = plan(chosen, bookwells, bare, peer_server, loads, peers)
    rows = {
        (key, server.name): Row(key, load.name, args.clients, [], server=server.name)
        for key, entries in groups
        for server, load in entries
    }
    if "contended" in chosen:
        for server in bookwells:
            name = "createReservation, contended"
            rows[("contended", server.name)] = Row(
                "contended", name, args.contenders, [], server.name
            )
    db = await asyncpg.connect(plain(url))
    backends = ServedBackends(await asyncpg.connect(plain(url)), make_url(url).port or 5432)
    try:
        for repeat in range(args.repeat):
            print(f"Run {repeat + 1} of {args.repeat} (client: {tool}) ...")
            for key, entries in groups:
                # Alternate who goes first, so that a machine slowing down favours no one.
                for server, load in entries if repeat % 2 == 0 else entries[::-1]:
                    headers = auth if load.authorized else {}
                    found = await measure(server, load, args, headers, tool, backends)
                    rows[(key, server.name)].runs.append(found)
                    if key == "book":  # each run books from the loaded data alone
                        await data.delete_contender_bookings(db)
                    cpu = f"{found.server_cpu_ms or 0:.2f} + PG {found.pg_cpu_ms or 0:.2f}"
                    print(f"  {load.name} [{server.name}]: {found.rps:.0f} req/s, CPU ms/req {cpu}")
            if "contended" not in chosen:
                continue
            for server in bookwells if repeat % 2 == 0 else bookwells[::-1]:
                found = await contended(server, db, backends, setup, args, repeat)
                rows[("contended", server.name)].runs.append(found)
                print(f"  createReservation, contended [{server.name}]: {found.rps:.0f} req/s, "
                      f"{found.note}")  # fmt: skip
    finally:
        await data.delete_contender_bookings(db)
        await db.close()
        await backends.db.close()
    return list(rows.values())


async def contended(server, db, backends, setup, args, repeat) -> Measurement:
    tokens = await data.contender_tokens(db, args.contenders)
    cpu, pg_before = server.cpu_seconds(), await backends.sample(server.pids())
    # The pool's overflow connections close after each round: watched, not sampled twice.
    async with watching(backends, server.pids()) as seen:
        found = await scenarios.contended(
            port=server.port, tokens=tokens, db=db, listing_ids=setup.stay_ids,
            clients=args.contenders, seconds=args.duration, seed=args.seed + repeat,
        )  # fmt: skip
    requests = max(1, found.requests)
    found.server_cpu_ms = (server.cpu_seconds() - cpu) * 1000 / requests
    used, found.pg_backends_gone = cpu_between(pg_before, seen)
    found.pg_cpu_ms = used * 1000 / requests
    return found


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.duration <= 0 or args.repeat < 1:
        raise SystemExit("--duration must be positive and --repeat at least 1.")
    if min(args.workers) < 1:
        raise SystemExit("--workers: at least 1.")
    command = "uv run python -m bench.run " + " ".join(sys.argv[1:] if argv is None else argv)
    servers = [(src, n) for src in args.server_src or [None] for n in args.workers]
    labels = [revision(src) for src, _ in servers]
    if args.workers != [1]:
        named = zip(labels, servers, strict=True)
        labels = [f"{label}, {n} worker{'s' * (n > 1)}" for label, (_, n) in named]
    if len(set(labels)) != len(labels):
        labels = [f"{label} #{n}" for n, label in enumerate(labels, 1)]
    with bench_database() as url:
        print(f"Database: {describe(url)}")
        migrate.upgrade(url)
        setup, data_note = _run(prepare(url, args))
        if args.peer == "postgraphile":
            peer.install()
            _run(peer.create_objects(plain(url)))
        print(f"Measuring {', '.join(labels)}")
        with ExitStack() as stack:
            bookwells = [
                stack.enter_context(graphql_server(url, label, src, workers))
                for label, (src, workers) in zip(labels, servers, strict=True)
            ]
            bare = stack.enter_context(bare_server(url))
            bare.name = goals.BARE
            peer_server = None
            if args.peer == "postgraphile":
                peer_server = stack.enter_context(peer.postgraphile_server(plain(url)))
            rows = _run(run_scenarios(url, setup, bookwells, bare, peer_server, args))
    verdict = goals.verdict(rows, labels)
    text = summary(rows, args, command.strip(), ", ".join(labels), data_note, verdict)
    print("\n" + text)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "latest.md").write_text(text + "\n")
    (RESULTS / "latest.json").write_text(json.dumps(as_json(rows), indent=2) + "\n")


def _run(coroutine):
    """asyncio with uvloop, as the server uses: a cheaper client."""
    try:
        import uvloop

        factory = uvloop.new_event_loop
    except ImportError:
        factory = None
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coroutine)


if __name__ == "__main__":
    main()
