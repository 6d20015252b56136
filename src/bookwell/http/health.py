"""Probes: /health answers 200 when the database answers SELECT 1 (the original check);
/healthz answers 200 while the process serves (liveness); /readyz answers 200 when the
database answers SELECT 1 and, with REDIS_URL set, Redis answers PING, else 503 naming what
failed (readiness: take this replica out of the load balancer)."""

import asyncio
import logging

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from bookwell.observability.redis_probe import ping

log = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 3.0


async def health(request: Request) -> JSONResponse:
    async with request.state.db.read() as session:
        await session.execute(text("SELECT 1"))
    return JSONResponse({"status": "ok"})


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _database(request: Request) -> None:
    """The lifespan's database (app.py), from the request's state."""
    db = getattr(request.state, "db", None)
    if db is None:
        raise RuntimeError("not started")
    async with db.read() as session:
        await session.execute(text("SELECT 1"))


async def _check(name: str, probe) -> tuple[str, str | None]:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)
    except Exception as error:
        log.warning("readiness: %s failed: %s", name, error)
        return name, type(error).__name__
    return name, None


def readyz(redis_url: str | None):
    async def ready(request: Request) -> JSONResponse:
        probes = [_check("database", _database(request))]
        if redis_url:
            probes.append(_check("redis", ping(redis_url)))
        results = await asyncio.gather(*probes)
        checks = {name: "ok" if failure is None else "failed" for name, failure in results}
        failed = [name for name, failure in results if failure is not None]
        body: dict[str, object] = {"status": "unavailable" if failed else "ok", "checks": checks}
        if failed:
            body["failed"] = failed
        return JSONResponse(body, status_code=503 if failed else 200)

    return ready
