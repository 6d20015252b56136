"""CPU time from /proc: of a server's processes, and of the PostgreSQL backends serving them.

A server's backends are found by their client port: the TCP sockets of the server's
processes (the uvicorn process, and its workers when it has several) whose remote port is
PostgreSQL's (from /proc/<pid>/fd and /proc/<pid>/net/tcp{,6}) are the `client_port`s of
its rows in pg_stat_activity. Nothing else is counted: not the bench's
own connection, not other sessions on a shared PostgreSQL, and not PostgreSQL's background
processes (WAL writer, checkpointer, autovacuum) nor parallel query workers, which live for
one statement."""

import asyncio
import contextlib
import os
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SOCKET_LINK = re.compile(r"^socket:\[(\d+)\]$")


def stat_cpu_seconds(stat_text: str) -> float:
    """utime + stime of a /proc/<pid>/stat line (the command may hold spaces and ')')."""
    fields = stat_text.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process (all its threads) so far; None once it has gone."""
    try:
        return stat_cpu_seconds(Path(f"/proc/{pid}/stat").read_text())
    except (FileNotFoundError, ProcessLookupError):
        return None


def tcp_table_ports(table_text: str, inodes: set[int], remote_port: int) -> set[int]:
    """Local ports of the sockets in a /proc/net/tcp{,6} table that are among `inodes` and
    connected to `remote_port`."""
    found = set()
    for line in table_text.splitlines()[1:]:
        columns = line.split()
        if len(columns) < 10:
            continue
        local, remote, inode = columns[1], columns[2], int(columns[9])
        if inode in inodes and int(remote.rsplit(":", 1)[1], 16) == remote_port:
            found.add(int(local.rsplit(":", 1)[1], 16))
    return found


def socket_inodes(pid: int) -> set[int]:
    found = set()
    fd_dir = Path(f"/proc/{pid}/fd")
    for entry in fd_dir.iterdir():
        try:
            link = os.readlink(entry)
        except OSError:  # closed meanwhile
            continue
        if match := SOCKET_LINK.match(link):
            found.add(int(match[1]))
    return found


def client_ports(pid: int, pg_port: int) -> set[int]:
    """The local ports of the process's connections to PostgreSQL's port."""
    try:
        inodes = socket_inodes(pid)
    except FileNotFoundError:  # the process has gone
        return set()
    ports: set[int] = set()
    for table in ("tcp", "tcp6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if path.exists():
            ports |= tcp_table_ports(path.read_text(), inodes, pg_port)
    return ports


@dataclass
class BackendSample:
    cpu: dict[int, float] = field(default_factory=dict)  # backend pid -> CPU seconds


class ServedBackends:
    """CPU of the PostgreSQL backends connected from a server's processes, between samples."""

    def __init__(self, db: asyncpg.Connection, pg_port: int):
        self.db = db  # a connection of its own: watch() queries while the bench runs others
        self.pg_port = pg_port

    async def sample(self, server_pids: list[int]) -> BackendSample:
        ports = sorted(set().union(*(client_ports(pid, self.pg_port) for pid in server_pids)))
        pids = await self.db.fetch(
            "SELECT pid FROM pg_stat_activity WHERE client_port = any($1::int[])"
            " AND client_addr IS NOT NULL",
            ports,
        )
        found = BackendSample()
        for row in pids:
            cpu = process_cpu_seconds(row["pid"])
            if cpu is not None:
                found.cpu[row["pid"]] = cpu
        return found


def cpu_between(before: BackendSample, after: BackendSample) -> tuple[float, int]:
    """(CPU seconds the backends used between the samples, backends gone meanwhile): a backend
    that appeared counts from zero; one that went is lost (its last CPU cannot be read)."""
    used = sum(cpu - before.cpu.get(pid, 0.0) for pid, cpu in after.cpu.items())
    return used, len(set(before.cpu) - set(after.cpu))


def merge(into: BackendSample, sample: BackendSample) -> None:
    """Keep the latest (largest) CPU time seen of every backend."""
    for pid, cpu in sample.cpu.items():
        into.cpu[pid] = max(cpu, into.cpu.get(pid, 0.0))


@contextlib.asynccontextmanager
async def watching(
    backends: ServedBackends, server_pids: list[int], interval: float = 0.05
) -> AsyncIterator[BackendSample]:
    """Samples every `interval` while the block runs, then once more: backends that a pool
    opens and closes meanwhile (overflow connections under 100 contenders) are counted up to
    their last sample, not lost."""
    seen, stop = BackendSample(), asyncio.Event()

    async def sample_until_stopped() -> None:
        while not stop.is_set():
            merge(seen, await backends.sample(server_pids))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), interval)

    task = asyncio.create_task(sample_until_stopped())
    try:
        yield seen
    finally:
        stop.set()
        await task
        merge(seen, await backends.sample(server_pids))
