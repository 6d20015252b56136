"""Runs a workload through `wrk` (much cheaper per request than any Python client), with a Lua
script that sends the workload's bodies in turn and classifies every response like
bench.client does, from the body text (status, then typed and GraphQL errors)."""

import json
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

from bench.client import EXCEPTION, GRAPHQL, HOST, HTTP, OK, TYPED, UNAVAILABLE
from bench.report import Measurement

MARKER = "BENCH_RESULT "
SCRIPT = r"""
local threads = {}
wrk.method = "POST"
wrk.path = "%(path)s"
wrk.headers["Content-Type"] = "application/json"
%(auth)s

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  bodies = {}
  for line in io.lines("%(bodies)s") do bodies[#bodies + 1] = line end
  tokens = {}
  for line in io.lines("%(tokens)s") do tokens[#tokens + 1] = line end
  sent, ok, unavailable, typed, graphql, http = 0, 0, 0, 0, 0, 0
end

function request()
  sent = sent %% #bodies + 1
  if #tokens == 0 then return wrk.format(nil, nil, nil, bodies[sent]) end
  local headers = {}
  for name, value in pairs(wrk.headers) do headers[name] = value end
  headers["Authorization"] = "Bearer " .. tokens[sent %% #tokens + 1]
  return wrk.format(nil, nil, headers, bodies[sent])
end

-- Every pattern below scans the whole body when it does not match: for a nested read's
-- ~60 KB answers, at hundreds a second, wrk took CPU from the server it measured. A plain
-- search first settles every answer without "errors" (bench/README.md, eighth round).
function response(status, headers, body)
  if status ~= 200 then http = http + 1
  elseif not body:find('"errors":', 1, true) then ok = ok + 1
  elseif body:find('"errors":%%s*%%[%%s*{%%s*"code":%%s*"UNAVAILABLE"') then
    unavailable = unavailable + 1
  elseif body:find('"errors":%%s*%%[%%s*{%%s*"code":%%s*"HOLD_LIMIT"') then
    unavailable = unavailable + 1  -- a refusal as right (bench/scenarios.py, REFUSALS)
  elseif body:find('"errors":%%s*%%[%%s*{%%s*"code":') then typed = typed + 1
  elseif body:find('"errors":%%s*%%[%%s*{') then graphql = graphql + 1
  else ok = ok + 1 end
end

function done(summary, latency, requests)
  local totals = {ok = 0, unavailable = 0, typed = 0, graphql = 0, http = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(totals) do totals[name] = totals[name] + thread:get(name) end
  end
  local e = summary.errors
  io.write(string.format(
    '%(marker)s{"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"ok": %%d, "unavailable": %%d, "typed": %%d, "graphql": %%d, "http": %%d, ' ..
    '"socket_errors": %%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    totals.ok, totals.unavailable, totals.typed, totals.graphql, totals.http,
    e.connect + e.read + e.write + e.timeout))
end
"""


def available() -> bool:
    return shutil.which("wrk") is not None


def run(
    *,
    port: int,
    path: str,
    bodies: list[bytes],
    clients: int,
    seconds: float,
    headers: dict[str, str] | None = None,
    tokens: list[str] | None = None,
) -> Measurement:
    """With `tokens`, request n signs in with the next of them (bookings by many guests)."""
    with tempfile.TemporaryDirectory(prefix="bench-wrk-") as tmp:
        bodies_file = Path(tmp) / "bodies.jsonl"
        bodies_file.write_bytes(b"\n".join(bodies) + b"\n")
        tokens_file = Path(tmp) / "tokens.txt"
        tokens_file.write_text("".join(f"{token}\n" for token in tokens or []))
        auth = "\n".join(
            f'wrk.headers["{name}"] = "{value}"' for name, value in (headers or {}).items()
        )
        script = Path(tmp) / "workload.lua"
        script.write_text(
            SCRIPT
            % {
                "path": path,
                "auth": auth,
                "bodies": bodies_file,
                "tokens": tokens_file,
                "marker": MARKER,
            }
        )
        command = [
            "wrk", "-t1", f"-c{clients}", f"-d{max(1, round(seconds))}s", "--timeout", "30s",
            "-s", str(script), f"http://{HOST}:{port}{path}",
        ]  # fmt: skip
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 60, check=True
        )
    line = next((x for x in done.stdout.splitlines() if x.startswith(MARKER)), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    found = json.loads(line[len(MARKER) :])
    outcomes = Counter(
        {
            OK: found["ok"],
            UNAVAILABLE: found["unavailable"],
            TYPED: found["typed"],
            GRAPHQL: found["graphql"],
            HTTP: found["http"],
            EXCEPTION: found["socket_errors"],
        }
    )
    return Measurement(
        requests=found["requests"],
        seconds=found["duration_us"] / 1e6,
        p50_ms=found["p50_us"] / 1000,
        p99_ms=found["p99_us"] / 1000,
        outcomes=+outcomes,
        tool="wrk",
    )
