"""A PgBouncer in transaction mode in front of a PostgreSQL server, for the suite's pooled run
(.ci/run; docs/scaling.md, section 2).

    uv run python -m tests.pgbouncer start postgresql://postgres@127.0.0.1:5432/test FOLDER [PORT]
        writes FOLDER/pgbouncer.ini, starts Debian's /usr/sbin/pgbouncer in the background
        (as `nobody` when run as root: PgBouncer refuses root), waits until it answers and
        prints the URL to give TEST_DATABASE_URL (the server's URL as TEST_DIRECT_DATABASE_URL);
        PORT defaults to 6432, and a free port is taken instead when it is in use;
    uv run python -m tests.pgbouncer stop FOLDER
        stops it.

Every database of the server is reachable through it (`* =`), so the databases the tests
create as they go are too. Only the server URL's user may connect (PgBouncer's trust auth
still wants the user in its auth_file).
"""

import asyncio
import os
import pwd
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import asyncpg
from sqlalchemy import make_url

PGBOUNCER = "/usr/sbin/pgbouncer"
START_SECONDS = 15.0

CONFIG = """\
[databases]
* = host={host} port={port}

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {listen_port}
unix_socket_dir =
pool_mode = transaction
auth_type = trust
auth_file = {folder}/userlist.txt
admin_users = {user}
; Server connections per database and user: one test's app (its pool of 20 + 20) and its
; sessions share them; a client waits for one at most query_wait_timeout.
default_pool_size = 20
reserve_pool_size = 10
reserve_pool_timeout = 1
max_client_conn = 1000
query_wait_timeout = 60
; The API's per-connection timeouts (core/db.py) come as startup parameters, which PgBouncer
; refuses unless told to drop them; behind PgBouncer they are set per role instead
; (docs/scaling.md, section 2).
ignore_startup_parameters = statement_timeout,lock_timeout,idle_in_transaction_session_timeout
logfile = {folder}/pgbouncer.log
pidfile = {folder}/pgbouncer.pid
log_connections = 0
log_disconnections = 0
"""


def quoted(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start(server_url: str, folder: Path, listen_port: int) -> str:
    if not port_is_free(listen_port):
        # Another PgBouncer (another run on this machine): never share it.
        taken, listen_port = listen_port, free_port()
        print(f"port {taken} is taken: PgBouncer listens on {listen_port}", file=sys.stderr)
    server = make_url(server_url)
    user = server.username or "postgres"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pgbouncer.ini").write_text(
        CONFIG.format(
            host=server.host or "127.0.0.1",
            port=server.port or 5432,
            listen_port=listen_port,
            folder=folder,
            user=user,
        )
    )
    (folder / "userlist.txt").write_text(f"{quoted(user)} {quoted(server.password or '')}\n")
    command = [PGBOUNCER, "-d"]
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        for path in [folder, *folder.iterdir()]:
            os.chown(path, nobody.pw_uid, nobody.pw_gid)
        command += ["-u", "nobody"]
    subprocess.run([*command, str(folder / "pgbouncer.ini")], check=True)
    pooled = server.set(drivername="postgresql", host="127.0.0.1", port=listen_port)
    url = pooled.render_as_string(hide_password=False)
    asyncio.run(wait_until_it_answers(url, folder))
    if running(folder) is None:
        raise SystemExit(f"PgBouncer answered at {url} but is not the one started in {folder}")
    return url


def running(folder: Path) -> int | None:
    """The pid of the PgBouncer of `folder`, if it runs."""
    try:
        pid = int((folder / "pgbouncer.pid").read_text().split()[0])
        os.kill(pid, 0)
    except (OSError, ValueError, IndexError):
        return None
    return pid


async def wait_until_it_answers(url: str, folder: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            connection = await asyncpg.connect(url, timeout=3, statement_cache_size=0)
        except (OSError, asyncpg.PostgresError) as error:
            if time.monotonic() > deadline:
                log = folder / "pgbouncer.log"
                shown = log.read_text() if log.exists() else "(no log)"
                raise SystemExit(f"PgBouncer did not answer at {url}: {error}\n{shown}") from None
            await asyncio.sleep(0.2)
        else:
            await connection.close()
            return


def stop(folder: Path) -> None:
    pid = running(folder)
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


def main(args: list[str]) -> None:
    if len(args) >= 3 and args[0] == "start":
        print(start(args[1], Path(args[2]).resolve(), int(args[3]) if len(args) > 3 else 6432))
    elif len(args) == 2 and args[0] == "stop":
        stop(Path(args[1]).resolve())
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv[1:])
