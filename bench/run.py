"""Load the bench data, start the server, measure every scenario, print the table.

    uv run python -m bench.run                      # 10k listings, 1M reservations, 10 s each
    uv run python -m bench.run --reuse --repeat 3   # keep the loaded data; medians of 3 runs

See bench/README.md for what is measured and how.
"""

import argparse
import asyncio
import json
import sys
import time

import asyncpg

from bench import checks, data, scenarios, wrk
from bench.client import closed_loop, measurement
from bench.database import bench_database, plain
from bench.report import Measurement, Row, as_json, revision, summary
from bench.scenarios import ORDER
from bench.servers import RESULTS, Server, bare_server, graphql_server
from bookwell.core import migrate
from bookwell.core.db import describe


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
    server: Server, workload: scenarios.Workload, args, headers: dict, tool: str
) -> Measurement:
    """A warm-up, then one measured run; with the server's CPU time per request."""
    for seconds, measured in ((args.warmup, False), (args.duration, True)):
        if seconds <= 0:
            continue
        cpu, bodies = server.cpu_seconds(), workload.next_bodies()
        collections = server.collections() if measured else None
        if tool == "wrk":
            found = await asyncio.to_thread(
                wrk.run, port=server.port, path=workload.path, bodies=bodies,
                clients=args.clients, seconds=seconds, headers=headers,
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
                )
            )
        # + clients: requests cut short at the end of a run may have reached the server.
        workload.sent += sum(found.outcomes.values()) + args.clients
        if measured and found.requests:
            found.server_cpu_ms = (server.cpu_seconds() - cpu) * 1000 / found.requests
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


async def run_scenarios(url, setup, graphql: Server, bare: Server, args) -> list[Row]:
    tool = pick_client(args.client)
    auth = {"Authorization": f"Bearer {setup.token}"}
    # Bodies per workload: more than all its runs send, at up to 3,000 req/s.
    count = max(2_000, int((args.duration + args.warmup) * args.repeat * 3_000))
    loads = scenarios.workloads(setup, count, args.seed)
    await checks.run_all(loads, graphql, bare, auth)
    chosen = set(args.only or [*ORDER, "contended"])
    if "search_city" in chosen:  # the table compares them
        chosen.add("search_bare")
    keys = [key for key in ORDER if key in chosen]
    rows = {key: Row(key, loads[key].name, args.clients, []) for key in keys}
    if "contended" in chosen:
        rows["contended"] = Row("contended", "createReservation, contended", args.contenders, [])
    db = await asyncpg.connect(plain(url))
    try:
        for repeat in range(args.repeat):
            print(f"Run {repeat + 1} of {args.repeat} (client: {tool}) ...")
            for key in keys:
                load, server = loads[key], bare if key == "search_bare" else graphql
                headers = auth if load.authorized else {}
                rows[key].runs.append(await measure(server, load, args, headers, tool))
                print(f"  {load.name}: {rows[key].runs[-1].rps:.0f} req/s")
            if "contended" not in rows:
                continue
            cpu = graphql.cpu_seconds()
            found = await scenarios.contended(
                port=graphql.port, headers=auth, db=db, listing_ids=setup.stay_ids,
                clients=args.contenders, seconds=args.duration, seed=args.seed + repeat,
            )  # fmt: skip
            found.server_cpu_ms = (graphql.cpu_seconds() - cpu) * 1000 / max(1, found.requests)
            rows["contended"].runs.append(found)
            print(f"  {rows['contended'].name}: {found.rps:.0f} req/s, {found.note}")
    finally:
        await db.close()
    return list(rows.values())


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.duration <= 0 or args.repeat < 1:
        raise SystemExit("--duration must be positive and --repeat at least 1.")
    command = "uv run python -m bench.run " + " ".join(sys.argv[1:] if argv is None else argv)
    with bench_database() as url:
        print(f"Database: {describe(url)}")
        migrate.upgrade(url)
        setup, data_note = _run(prepare(url, args))
        measured = revision()
        print(f"Measuring {measured}")
        with graphql_server(url) as graphql, bare_server(url) as bare:
            rows = _run(run_scenarios(url, setup, graphql, bare, args))
    text = summary(rows, args, command.strip(), measured, data_note)
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
