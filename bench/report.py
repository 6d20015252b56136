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
    pg_cpu_ms: float | None = None  # CPU per request of the PostgreSQL backends serving it
    pg_backends_gone: int = 0  # backends that closed during the run (their CPU is lost)
    round_p99_ms: float | None = None  # contended rounds: p99 of a whole round's time
    # The server's garbage collections (gen0, gen1, gen2) per 1,000 requests, when known.
    collections_per_1k: tuple[float, float, float] | None = None
    note: str = ""

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def failures(self) -> int:
        return sum(self.outcomes[kind] for kind in FAILURE_KINDS)

    @property
    def total_cpu_ms(self) -> float | None:
        if self.server_cpu_ms is None or self.pg_cpu_ms is None:
            return None
        return self.server_cpu_ms + self.pg_cpu_ms


@dataclass
class Row:
    """One scenario over all repeats: medians of the figures, sums of the outcomes."""

    key: str  # as in bench.scenarios: search_city, search_bare, ..., contended
    name: str
    clients: int
    runs: list[Measurement]
    server: str = ""  # which server answered: a bookwell revision, the bare handler, the peer

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
        "| scenario | server | clients | req/s | p50 ms | p99 ms | server CPU ms/req "
        "| PG CPU ms/req | total CPU ms/req | tool | outcomes (all runs) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for row in rows:
        # Backends closed during a run took their last CPU time with them: a lower bound.
        at_least = ">=" if any(run.pg_backends_gone for run in row.runs) else ""
        lines.append(
            f"| {row.name} | {row.server} | {row.clients} | {row.median('rps'):.0f} "
            f"| {row.median('p50_ms'):.1f} | {row.median('p99_ms'):.1f} "
            f"| {row.median('server_cpu_ms'):.2f} | {at_least}{row.median('pg_cpu_ms'):.2f} "
            f"| {at_least}{row.median('total_cpu_ms'):.2f} | {row.runs[0].tool} "
            f"| {_outcome_text(row.outcomes)} |"
        )
    return "\n".join(lines)


def collections_text(rows: list[Row]) -> str | None:
    """The server's garbage collections per 1,000 requests, medians by generation."""
    parts = []
    for row in rows:
        known = [run.collections_per_1k for run in row.runs if run.collections_per_1k]
        if known:
            medians = (statistics.median(c[g] for c in known) for g in range(3))
            parts.append(f"{row.name} [{row.server}] {' / '.join(f'{m:.1f}' for m in medians)}")
    if not parts:
        return None
    return "Server garbage collections per 1,000 requests (gen0 / gen1 / gen2): " + "; ".join(parts)


def examples(rows: list[Row]) -> list[str]:
    """The first example of each failure kind, per scenario."""
    lines = []
    for row in rows:
        for run in row.runs:
            for kind, text in run.examples.items():
                lines.append(f"{row.name} ({row.server}): {kind}: {text}")
    return lines


def revision(src: Path | None = None) -> str:
    """Which bookwell a server runs: the commit of `src` (a folder holding src/bookwell, this
    checkout by default), "+ local changes" when its src/ or migrations/ differ from it."""
    if src is None:
        import bookwell

        src = Path(bookwell.__file__).resolve().parents[2]

    def git(*args: str) -> str:
        found = subprocess.run(["git", "--no-optional-locks", *args], cwd=src, capture_output=True)
        return found.stdout.decode().strip()

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return f"bookwell from {src}"
    changed = git("status", "--porcelain", "--", "src", "migrations")
    where = "" if src.resolve() == ROOT else f" ({src})"
    return f"bookwell {commit}{' + local changes' if changed else ''}{where}"


def summary(rows: list[Row], args, command: str, measured: str, data_note: str,
            verdict: list[str]) -> str:  # fmt: skip
    """`measured`: the servers' revisions; `verdict`: the ratios and goals (bench.goals)."""
    lines = [
        f"`{command}` ({datetime.now():%Y-%m-%d %H:%M}, {measured}; medians of {args.repeat} "
        f"run(s) of {args.duration:g} s, each after {args.warmup:g} s of warm-up)",
        "",
        data_note,
        "",
        table(rows),
        "",
        *verdict,
    ]
    if collections := collections_text(rows):
        lines += ["", collections]
    if gone := sum(run.pg_backends_gone for row in rows for run in row.runs):
        lines += ["", f"{gone} PostgreSQL backends closed during measured runs: their last "
                      "CPU is not counted (PG CPU ms/req marked >=)."]  # fmt: skip
    if failures := examples(rows):
        lines += ["", "First failure of each kind:", *failures]
    return "\n".join(lines)


def as_json(rows: list[Row]) -> list[dict]:
    return [
        {
            "scenario": row.name,
            "server": row.server,
            "clients": row.clients,
            "runs": [
                {
                    "rps": run.rps,
                    "p50_ms": run.p50_ms,
                    "p99_ms": run.p99_ms,
                    "server_cpu_ms": run.server_cpu_ms,
                    "pg_cpu_ms": run.pg_cpu_ms,
                    "pg_backends_gone": run.pg_backends_gone,
                    "round_p99_ms": run.round_p99_ms,
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
