"""Probes: /health answers 200 when the database answers SELECT 1 (the original check);
/healthz answers 200 while the process serves (liveness); /readyz answers 200 when the
database answers SELECT 1 and, with REDIS_URL set, Redis answers PING, else 503 naming what
failed (readiness: take this replica out of the load balancer)."""

import asyncio
import logging

from sqlalchemy import text
from starlette.requests import Request
from starlette.responses import JSONResponse

from bookwell.core.db import HasDatabase
from bookwell.observability.redis_probe import ping

log = logging.getLogger(__name__)

CHECK_TIMEOUT_SECONDS = 3.0


def health(runtime: HasDatabase):
    async def answer(request: Request) -> JSONResponse:
        assert runtime.db is not None
        async with runtime.db.read() as session:
            await session.execute(text("SELECT 1"))
        return JSONResponse({"status": "ok"})

    return answer


async def healthz(request: Request) -> JSONResponse:
    return JSONResponse({"status": "ok"})


async def _database(runtime: HasDatabase) -> None:
    if runtime.db is None:
        raise RuntimeError("not started")
    async with runtime.db.read() as session:
        await session.execute(text("SELECT 1"))


async def _check(name: str, probe) -> tuple[str, str | None]:
    try:
        await asyncio.wait_for(probe, CHECK_TIMEOUT_SECONDS)
    except Exception as error:
        log.warning("readiness: %s failed: %s", name, error)
        return name, type(error).__name__
    return name, None


def readyz(runtime: HasDatabase, redis_url: str | None):
    async def ready(request: Request) -> JSONResponse:
        probes = [_check("database", _database(runtime))]
        if redis_url:
            probes.append(_check("redis", ping(redis_url)))
        results = await asyncio.gather(*probes)
        checks = {name: "ok" if failure is None else "failed" for name, failure in results}
        failed = [name for name, failure in results if failure is not None]
        body = {"status": "unavailable" if failed else "ok", "checks": checks}
        if failed:
            body["failed"] = failed
        return JSONResponse(body, status_code=503 if failed else 200)

    return ready
