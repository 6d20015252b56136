"""The peer: PostGraphile 5 over the same database, installed by npm into a cache folder on first
use, configured by a file the bench writes, run as one Node process on 127.0.0.1.

Its availability answer comes from a SQL function the bench creates in its own schema
(`bench_peer`, never in migrations): the same statement as Bookwell's
services/listings/availability.py, as PostGraphile's users would write it."""

import http.client
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg

from bench.client import HOST
from bench.servers import RESULTS, Server, free_port

VERSION = "5.1.5"
CACHE = Path(
    os.environ.get("BENCH_PEER_CACHE", Path.home() / ".cache" / "bookwell-bench" / "postgraphile")
)
SCHEMA = "bench_peer"
# Bookwell's availability (services/listings/availability.py), one listing: the fewest units
# free on any night of [start_date, end_date), and available when `quantity` are free and the
# stay does not start before today in the listing's timezone. Parameters are qualified by the
# function's name: a bare `listing_id` would be listing_nights' column.
OBJECTS = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
DROP FUNCTION IF EXISTS {SCHEMA}.availability(uuid, date, date, integer);
DROP TYPE IF EXISTS {SCHEMA}.availability_answer;
CREATE TYPE {SCHEMA}.availability_answer AS (available boolean, free_units integer);
CREATE FUNCTION {SCHEMA}.availability(
    listing_id uuid, start_date date, end_date date, quantity integer DEFAULT 1
) RETURNS {SCHEMA}.availability_answer LANGUAGE sql STABLE AS $$
  SELECT (f.free >= availability.quantity
          AND availability.start_date >= (now() AT TIME ZONE f.timezone)::date,
          f.free)::{SCHEMA}.availability_answer
    FROM (SELECT l.timezone, least(l.units, min(n.units - n.booked)) AS free
            FROM public.listings l
            LEFT JOIN public.listing_nights n
              ON n.listing_id = l.id
             AND n.night >= availability.start_date AND n.night < availability.end_date
           WHERE l.id = availability.listing_id
           GROUP BY l.id) f
$$;
"""
# PostGraphile 5 asks for Node 22; this machine has Node 20, which lacks only this one method
# that it calls (in every request): the standard's own definition, loaded before it.
POLYFILL = """if (!Promise.withResolvers) {
  Promise.withResolvers = function withResolvers() {
    let resolve, reject;
    const promise = new this((yes, no) => { resolve = yes; reject = no; });
    return { promise, resolve, reject };
  };
}
"""
CONFIG = """// Written by bench/peer.py on every run; edit that file instead.
import {{ PostGraphileAmberPreset }} from "postgraphile/presets/amber";
import {{ makePgService }} from "postgraphile/adaptors/pg";

export default {{
  extends: [PostGraphileAmberPreset],
  pgServices: [
    makePgService({{
      connectionString: {dsn},
      schemas: ["public", "{schema}"],
      poolConfig: {{ max: {pool}, idleTimeoutMillis: 0 }},
    }}),
  ],
  grafserv: {{ host: "{host}", port: {port}, graphqlPath: "/graphql", graphiql: false }},
  grafast: {{ explain: false }},
}};
"""


def installed() -> bool:
    found = CACHE / "node_modules" / "postgraphile" / "package.json"
    return found.exists() and json.loads(found.read_text()).get("version") == VERSION


def install() -> None:
    """`npm install postgraphile@VERSION` into CACHE, once (about 20 s)."""
    if installed():
        return
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise SystemExit("The peer needs Node and npm (PostGraphile 5 asks for Node 22; 20 runs).")
    CACHE.mkdir(parents=True, exist_ok=True)
    if not (CACHE / "package.json").exists():
        (CACHE / "package.json").write_text('{"private": true}\n')
    print(f"Installing PostGraphile {VERSION} into {CACHE} ...")
    subprocess.run(
        ["npm", "install", "--prefix", str(CACHE), "--no-audit", "--no-fund", "--loglevel=error",
         f"postgraphile@{VERSION}"],
        check=True,
    )  # fmt: skip


async def create_objects(dsn: str) -> None:
    """The peer's SQL function, in its own schema (created anew each run)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(OBJECTS)
    finally:
        await conn.close()


def write_config(dsn: str, port: int, pool: int = 10) -> Path:
    """The config file, beside node_modules so that Node resolves `postgraphile` from it."""
    path = CACHE / "graphile.config.mjs"
    text = CONFIG.format(dsn=json.dumps(dsn), schema=SCHEMA, host=HOST, port=port, pool=pool)
    path.write_text(text)
    return path


def _wait_ready(port: int, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    """Ready when it answers a trivial query (PostGraphile introspects the database first)."""
    deadline = time.monotonic() + timeout
    body = b'{"query":"{__typename}"}'
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"PostGraphile exited with {process.returncode}; see {log}")
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=5)
            conn.request("POST", "/graphql", body, {"Content-Type": "application/json"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"PostGraphile not ready after {timeout}s; see {log}")


@contextmanager
def postgraphile_server(dsn: str) -> Iterator[Server]:
    """One Node process running PostGraphile's own CLI with the generated config."""
    install()
    port = free_port()
    config = write_config(dsn, port)
    RESULTS.mkdir(parents=True, exist_ok=True)
    log = RESULTS / "server-postgraphile.log"
    polyfill = CACHE / "polyfill.mjs"
    polyfill.write_text(POLYFILL)
    cli = (CACHE / "node_modules" / ".bin" / "postgraphile").resolve()
    command = ["node", "--import", polyfill.as_uri(), str(cli)]
    env = {**os.environ, "NODE_ENV": "production", "GRAPHILE_ENV": "production"}
    with log.open("w") as out:
        process = subprocess.Popen(
            [*command, "--config", str(config)],
            cwd=CACHE,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_ready(port, process, log)
        yield Server(f"PostGraphile {VERSION}", port, process.pid, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
