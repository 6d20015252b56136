"""Probes: /health answers 200 when the database answers SELECT 1 (the original check);
/healthz answers 200 while the process serves (liveness); /readyz answers 200 while this
replica can serve bookings, else 503 (readiness: take it out of the load balancer).

"Can serve" is the database answering within a short timeout, on a connection of its own
(the lifespan's `probe`, core/db.py): a pool full of requests blocked on one hot row must not
make every replica look down at once. Redis is not needed to book (the outbox keeps what is
to be sent), so Redis down is reported, not failed: /readyz stays 200 with
`checks.redis: "failed"` and status "degraded". /health/details answers the same checks, and
the pool's use, always with 200, for people and dashboards."""

import asyncio
import logging
from collections.abc import Awaitable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import JSONResponse

from bookwell.observability.redis_probe import ping

log = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 3.0
# What a replica needs to serve; the other checks are reported only.
REQUIRED = frozenset({"database"})


async def health(request: Request) -> JSONResponse:
    """The original check, on the pool: JSON 503 rather than a bare 500 when it fails."""
    try:
        async with request.state.db.read() as session:
            await session.execute(text("SELECT 1"))
    except Exception as error:
        log.warning("health: the database failed: %s", error)
        return JSONResponse({"status": "unavailable"}, status_code=503)
    return JSONResponse({"status": "ok"})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _database(request: Request) -> None:
    """SELECT 1 on the lifespan's probe engine (app.py), from the request's state."""
    probe: AsyncEngine | None = getattr(request.state, "probe", None)
    if probe is None:
        raise RuntimeError("not started")
    async with probe.connect() as connection:
        await connection.execute(text("SELECT 1"))


async def _check(name: str, probe: Awaitable[object]) -> tuple[str, str | None]:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)
    except Exception as error:
        log.warning("health check: %s failed: %s", name, error)
        return name, type(error).__name__
    return name, None


async def _checks(request: Request, redis_url: str | None) -> dict[str, object]:
    probes = [_check("database", _database(request))]
    if redis_url:
        probes.append(_check("redis", ping(redis_url)))
    results = await asyncio.gather(*probes)
    failed = [name for name, failure in results if failure is not None]
    status = "ok"
    if failed:
        status = "unavailable" if REQUIRED & set(failed) else "degraded"
    body: dict[str, object] = {
        "status": status,
        "checks": {name: "ok" if failure is None else "failed" for name, failure in results},
    }
    if failed:
        body["failed"] = failed
    return body


def readyz(redis_url: str | None):
    async def ready(request: Request) -> JSONResponse:
        body = await _checks(request, redis_url)
        return JSONResponse(body, status_code=503 if body["status"] == "unavailable" else 200)

    return ready


def details(redis_url: str | None):
    async def report(request: Request) -> JSONResponse:
        body = await _checks(request, redis_url)
        db = getattr(request.state, "db", None)
        if db is not None:
            pool = db.engine.pool
            body["pool"] = {"size": pool.size(), "checked_out": pool.checkedout()}
        return JSONResponse(body)

    return report
