"""Bookwell beside its references (the bare handler, PostGraphile), and issue 18's goals, met or
not, from the median figures of the runs."""

from bench.peer import VERSION
from bench.report import Row

BARE = "bare Starlette+asyncpg"
PEER = f"PostGraphile {VERSION}"


def _find(rows: list[Row], key: str, server: str) -> Row | None:
    return next((row for row in rows if row.key == key and row.server == server), None)


def _ratio(mine: Row, theirs: Row, attribute: str) -> float:
    divisor = theirs.median(attribute)
    return mine.median(attribute) / divisor if divisor else float("nan")


def comparison(mine: Row, theirs: Row, label: str) -> str:
    return (
        f"{mine.name}, {mine.server} / {theirs.server}: req/s x{_ratio(mine, theirs, 'rps'):.2f}, "
        f"server CPU/req x{_ratio(mine, theirs, 'server_cpu_ms'):.2f}, "
        f"PG CPU/req x{_ratio(mine, theirs, 'pg_cpu_ms'):.2f}, "
        f"total CPU/req x{_ratio(mine, theirs, 'total_cpu_ms'):.2f} ({label})"
    )


def ratios(rows: list[Row], bookwells: list[str]) -> list[str]:
    lines = []
    for server in bookwells:
        for key, other, label in (
            ("nested", PEER, "goal: req/s >= x2, total CPU <= x0.5"),
            ("availability", PEER, "goal: total CPU <= x1"),
            ("search_city", BARE, "goal: req/s >= x0.7"),
        ):
            mine, theirs = _find(rows, key, server), _find(rows, key, other)
            if mine and theirs:
                lines.append("- " + comparison(mine, theirs, label))
    return lines


def goals(rows: list[Row], server: str) -> list[tuple[str, bool | None, str]]:
    """(goal, met, measured) for one Bookwell server; met is None when not measured."""
    found: list[tuple[str, bool | None, str]] = []

    def pair(key: str, other: str) -> tuple[Row, Row] | None:
        mine, theirs = _find(rows, key, server), _find(rows, key, other)
        return (mine, theirs) if mine and theirs else None

    if nested := pair("nested", PEER):
        rps, cpu = _ratio(*nested, "rps"), _ratio(*nested, "total_cpu_ms")
        clean = not (nested[0].failures or nested[1].failures)
        goal = "nested read: >= 2x PostGraphile 5's req/s and <= half its total CPU/req"
        found.append((goal, rps >= 2 and cpu <= 0.5 and clean, f"req/s x{rps:.2f}, CPU x{cpu:.2f}"))
    else:
        found.append(("nested read vs PostGraphile 5", None, "not measured"))
    if availability := pair("availability", PEER):
        cpu = _ratio(*availability, "total_cpu_ms")
        found.append(("availability: total CPU/req <= PostGraphile's SQL function",
                      cpu <= 1 and not availability[0].failures, f"CPU x{cpu:.2f}"))  # fmt: skip
    else:
        found.append(("availability vs PostGraphile 5", None, "not measured"))
    if search := pair("search_city", BARE):
        rps = _ratio(*search, "rps")
        found.append(("one-city search: >= 0.7x the bare handler's req/s",
                      rps >= 0.7 and not search[0].failures, f"x{rps:.2f}"))  # fmt: skip
    else:
        found.append(("one-city search vs bare", None, "not measured"))
    if book := _find(rows, "book", server):
        rps = book.median("rps")
        booked = book.outcomes["ok"] / sum(run.seconds for run in book.runs)
        measured = (
            f"{rps:.0f} answered/s ({booked:.0f} booked/s, the rest UNAVAILABLE or "
            "HOLD_LIMIT), "
            f"{book.failures} failures"
        )
        goal = "uncontended createReservation: >= 1,000/s"
        found.append((goal, rps >= 1000 and not book.failures, measured))
    else:
        found.append(("uncontended createReservation", None, "not measured"))
    if contended := _find(rows, "contended", server):
        p99 = max((run.round_p99_ms or float("inf")) for run in contended.runs)
        exact = all("MISMATCH" not in run.note for run in contended.runs)
        notes = "; ".join(run.note for run in contended.runs)
        goal = f"{contended.clients} contenders: round p99 < 100 ms, exactly the free units booked"
        measured = f"worst run's round p99 {p99:.0f} ms, {contended.failures} failures; {notes}"
        found.append((goal, p99 < 100 and exact and not contended.failures, measured))
    else:
        found.append(("contended createReservation", None, "not measured"))
    return found


def verdict(rows: list[Row], bookwells: list[str]) -> list[str]:
    """The lines the summary prints: ratios, then each Bookwell server's goals."""
    found = ratios(rows, bookwells)
    lines = ["Ratios (medians):", *found, ""] if found else []
    for server in bookwells:
        lines.append(f"Goals of issue 18, {server}:")
        for goal, met, measured in goals(rows, server):
            state = "not measured" if met is None else "MET" if met else "NOT MET"
            lines.append(f"- {state}: {goal} ({measured})")
    return lines
