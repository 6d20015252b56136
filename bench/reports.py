"""Time the occupancy report over every listing as an ADMIN, and its renderings.

    uv run python -m bench.reports            # load 10k listings + 1M reservations, measure
    uv run python -m bench.reports --reuse    # keep the loaded data (as bench.run does)

The data and the database are bench.run's (bench/data.py, bench/database.py). The report is
`services.reports.build_report` called in-process on one connection: the SQL and the shaping
of its rows into dataclasses, no HTTP. See bench/README.md ("Reports").
"""

import argparse
import statistics
import time
import uuid
from collections.abc import Callable
from datetime import date, timedelta

import asyncpg

from bench import data
from bench.database import bench_database, plain
from bench.run import _run, prepare
from bookwell.core import migrate
from bookwell.core.db import connect, describe
from bookwell.models import Role
from bookwell.services.accounts.principal import Principal
from bookwell.services.reports.figures import Report
from bookwell.services.reports.render import ReportFormat, render
from bookwell.services.reports.render.json import render_json
from bookwell.services.reports.reports import build_report

TARGET_SECONDS = 2.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__)
    parser.add_argument("--listings", type=int, default=10_000)
    parser.add_argument("--reservations", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep loaded data of these sizes")
    parser.add_argument("--nights", type=int, default=30, help="nights in the report")
    parser.add_argument("--start-in", type=int, default=30, help="first night, days from today")
    parser.add_argument(
        "--runs", type=int, default=7, help="timed runs (median), after one warm-up"
    )
    parser.add_argument("--seed", type=int, default=1)
    return parser.parse_args(argv)


async def _admin(url: str) -> Principal:
    conn = await asyncpg.connect(plain(url))
    try:
        admin_id = await conn.fetchval("SELECT id FROM users WHERE email = $1", data.ADMIN_EMAIL)
    finally:
        await conn.close()
    return Principal(uuid.UUID(str(admin_id)), Role.ADMIN)


def _timed(work: Callable[[], object], runs: int) -> tuple[float, object]:
    seconds, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = work()
        seconds.append(time.perf_counter() - started)
    return statistics.median(seconds), result


async def measure(url: str, args: argparse.Namespace) -> list[str]:
    admin = await _admin(url)
    start = date.today() + timedelta(days=args.start_in)
    end = start + timedelta(days=args.nights)
    db = connect(url, pool_size=1, max_overflow=0)

    async def report() -> Report:
        async with db.read() as session:
            return await build_report(
                session=session, principal=admin, start_date=start, end_date=end
            )

    try:
        await report()  # warm-up: connection, prepared statement, caches
        seconds = []
        for _ in range(args.runs):
            started = time.perf_counter()
            found = await report()
            seconds.append(time.perf_counter() - started)
    finally:
        await db.dispose()
    median = statistics.median(seconds)
    lines = [
        f"Report: {len(found.listings)} listings x {found.nights} nights "
        f"({start} to {end}), {found.overall.reservations} sold stays, "
        f"{found.overall.booked_nights} booked unit-nights, {len(found.totals)} currencies.",
        f"build_report (SQL + dataclasses), median of {args.runs}: {median * 1000:.0f} ms "
        f"(min {min(seconds) * 1000:.0f}, max {max(seconds) * 1000:.0f}); target under "
        f"{TARGET_SECONDS:.0f} s: {'met' if median < TARGET_SECONDS else 'NOT met'}.",
    ]
    renderings = [
        ("CSV", lambda: render(found, ReportFormat.CSV)),
        ("TEXT", lambda: render(found, ReportFormat.TEXT)),
        ("JSON document (HTTP .json, with every night)", lambda: render_json(found)),
        ("HTML (a chart per listing)", lambda: render(found, ReportFormat.HTML)),
    ]
    for name, work in renderings:
        took, body = _timed(work, max(1, args.runs // 2))
        size = len(body) / 1_000_000 if isinstance(body, str | bytes) else 0
        lines.append(f"render {name}: {took * 1000:.0f} ms, {size:.1f} MB.")
    return lines


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args.runs < 1 or not 1 <= args.nights <= 366:
        raise SystemExit("--runs must be at least 1 and --nights between 1 and 366.")
    with bench_database() as url:
        print(f"Database: {describe(url)}")
        migrate.upgrade(url)
        _run(prepare(url, args))
        for line in _run(measure(url, args)):
            print(line)


if __name__ == "__main__":
    main()
