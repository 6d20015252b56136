"""A real browser against a real server: the system Chromium (Playwright never downloads
one here) and uvicorn serving an app in a thread, shared by the admin and GraphiQL tests."""

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from tests.support.ports import free_port

CHROMIUM = Path("/usr/bin/chromium")


# The machine has no network: nothing in Chromium may try to reach out.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


VIEWPORT = {"width": 1280, "height": 800}


@asynccontextmanager
async def serving(app: Starlette, options: dict | None = None) -> AsyncIterator[str]:
    """uvicorn in a thread of its own (its own event loop), for as long as the block runs;
    `options` are uvicorn's (`bookwell serve`'s: cli.serve.uvicorn_options), host and port
    aside."""
    port = free_port()
    settings = {"log_level": "warning", **(options or {}), "host": "127.0.0.1", "port": port}
    config = uvicorn.Config(app, **settings)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="admin-uvicorn", daemon=True)
    thread.start()
    try:
        async with asyncio.timeout(30):
            while not server.started:
                assert thread.is_alive(), "uvicorn stopped before it started"
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.to_thread(thread.join, 15)
