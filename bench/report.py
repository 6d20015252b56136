"""Figures per scenario, medians over repeated runs, the table, and the targets."""

import statistics
import subprocess
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

FAILURE_KINDS = ("other typed error", "GraphQL error", "HTTP non-200", "exception")


@dataclass
class Measurement:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    outcomes: Counter = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)
    tool: str = "python"
    server_cpu_ms: float | None = None  # server process CPU per request
    # The server's garbage collections (gen0, gen1, gen2) per 1,000 requests, when known.
    collections_per_1k: tuple[float, float, float] | None = None
    note: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failures(self) -> int:
        return sum(self.outcomes[kind] for kind in FAILURE_KINDS)


@dataclass
class Row:
    """One scenario over all repeats: medians of the figures, sums of the outcomes."""

    key: str  # as in bench.scenarios: search_city, search_bare, ..., contended
    name: str
    clients: int
    runs: list[Measurement]

    def median(self, attribute: str) -> float:
        values = [getattr(run, attribute) for run in self.runs]
        values = [v for v in values if v is not None]
        return statistics.median(values) if values else float("nan")

    @property
    def outcomes(self) -> Counter:
        return sum((run.outcomes for run in self.runs), Counter())

    @property
    def failures(self) -> int:
        return sum(run.failures for run in self.runs)


def _outcome_text(outcomes: Counter) -> str:
    parts = [f"{outcomes['ok']} ok"]
    if outcomes["UNAVAILABLE"]:
        parts.append(f"{outcomes['UNAVAILABLE']} UNAVAILABLE")
    parts += [f"{outcomes[k]} {k}" for k in FAILURE_KINDS if outcomes[k]]
    return ", ".join(parts)


def table(rows: list[Row]) -> str:
    """A Markdown table (pastes into bench/README.md as it is)."""
    lines = [
        "| scenario | clients | req/s | p50 ms | p99 ms | server CPU ms/req | tool "
        "| outcomes (all runs) |",
        "|---|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        lines.append(
            f"| {row.name} | {row.clients} | {row.median('rps'):.0f} | {row.median('p50_ms'):.1f} "
            f"| {row.median('p99_ms'):.1f} | {row.median('server_cpu_ms'):.2f} "
            f"| {row.runs[0].tool} | {_outcome_text(row.outcomes)} |"
        )
    return "\n".join(lines)


def collections_text(rows: list[Row]) -> str | None:
    """The server's garbage collections per 1,000 requests, medians by generation."""
    parts = []
    for row in rows:
        known = [run.collections_per_1k for run in row.runs if run.collections_per_1k]
        if known:
            medians = (statistics.median(c[g] for c in known) for g in range(3))
            parts.append(f"{row.name} {' / '.join(f'{m:.1f}' for m in medians)}")
    if not parts:
        return None
    return "Server garbage collections per 1,000 requests (gen0 / gen1 / gen2): " + "; ".join(parts)


def ratio_text(graphql: Row, bare: Row) -> str:
    return (
        f"GraphQL/bare, one-city search: req/s x{graphql.median('rps') / bare.median('rps'):.2f}, "
        f"p50 x{graphql.median('p50_ms') / bare.median('p50_ms'):.2f}, "
        f"p99 x{graphql.median('p99_ms') / bare.median('p99_ms'):.2f}, "
        f"server CPU/req x{graphql.median('server_cpu_ms') / bare.median('server_cpu_ms'):.2f}"
    )


def targets(rows: dict[str, Row]) -> list[tuple[str, bool, str]]:
    """(target, met, measured) for the issue's three targets, from the median figures."""
    found = []
    if search := rows.get("search_city"):
        p99 = search.median("p99_ms")
        found.append(
            (
                f"one-city search p99 < 25 ms at {search.clients} clients",
                p99 < 25 and search.failures == 0,
                f"p99 {p99:.1f} ms, {search.failures} failures",
            )
        )
    if nested := rows.get("nested"):
        rps = nested.median("rps")
        found.append(
            (
                "nested read >= 100 req/s",
                rps >= 100 and nested.failures == 0,
                f"{rps:.0f} req/s, {nested.failures} failures",
            )
        )
    if contended := rows.get("contended"):
        notes = "; ".join(f"run {n}: {run.note}" for n, run in enumerate(contended.runs, 1))
        found.append(
            (
                f"{contended.clients} contending bookings: no failure but UNAVAILABLE",
                contended.failures == 0 and "MISMATCH" not in notes,
                f"{contended.failures} failures; {notes}",
            )
        )
    return found


def examples(rows: list[Row]) -> list[str]:
    """The first example of each failure kind, per scenario."""
    lines = []
    for row in rows:
        for run in row.runs:
            for kind, text in run.examples.items():
                lines.append(f"{row.name}: {kind}: {text}")
    return lines


def revision() -> str:
    """Which bookwell was measured: the commit, or where the package came from."""
    import bookwell

    source = Path(bookwell.__file__).resolve().parents[1]
    if source != ROOT / "src":
        return f"bookwell from {source}"

    def git(*args: str) -> str:
        found = subprocess.run(["git", "--no-optional-locks", *args], cwd=ROOT, capture_output=True)
        return found.stdout.decode().strip()

    changed = git("status", "--porcelain", "--", "src", "migrations")
    return f"bookwell {git('rev-parse', '--short', 'HEAD')}" + (
        " + local changes" if changed else ""
    )


def summary(rows: list[Row], args, command: str, measured: str, data_note: str) -> str:
    """`measured`: revision(), taken when the servers started."""
    by_key = {row.key: row for row in rows}
    lines = [
        f"`{command}` ({datetime.now():%Y-%m-%d %H:%M}, {measured}; medians of {args.repeat} "
        f"run(s) of {args.duration:g} s, each after {args.warmup:g} s of warm-up)",
        "",
        data_note,
        "",
        table(rows),
        "",
    ]
    if "search_city" in by_key and "search_bare" in by_key:
        lines += [ratio_text(by_key["search_city"], by_key["search_bare"]), ""]
    if collections := collections_text(rows):
        lines += [collections, ""]
    for target, met, measured in targets(by_key):
        lines.append(f"- {'MET' if met else 'NOT MET'}: {target} ({measured})")
    if failures := examples(rows):
        lines += ["", "First failure of each kind:", *failures]
    return "\n".join(lines)


def as_json(rows: list[Row]) -> list[dict]:
    return [
        {
            "scenario": row.name,
            "clients": row.clients,
            "runs": [
                {
                    "rps": run.rps,
                    "p50_ms": run.p50_ms,
                    "p99_ms": run.p99_ms,
                    "server_cpu_ms": run.server_cpu_ms,
                    "collections_per_1k": run.collections_per_1k,
                    "outcomes": dict(run.outcomes),
                    "tool": run.tool,
                    "note": run.note,
                }
                for run in row.runs
            ],
        }
        for row in rows
    ]
