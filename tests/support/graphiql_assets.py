"""GraphiQL's pinned files, downloaded from the npm registry once per test run into a
folder of the ignored .bookwell/, shared by tests/graphql/test_graphiql*.py, removed at exit."""

import asyncio
import atexit
import os
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bookwell.core.config import Settings
from bookwell.graphql.graphiql import AssetCache

ROOT = Path(__file__).resolve().parents[2]
# Nothing listens on the discard port: an app pointed there downloads nothing.
NO_REGISTRY = "http://127.0.0.1:9"

_folder: Path | None = None


def shared_assets_dir() -> Path:
    global _folder
    if _folder is None:
        folder = ROOT / ".bookwell" / "graphiql-tests" / f"run-{os.getpid()}"
        shutil.rmtree(folder, ignore_errors=True)
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        # The real registry, the real pins; on a thread of its own, as a loop may be running.
        with ThreadPoolExecutor(1) as thread:
            thread.submit(lambda: asyncio.run(AssetCache(folder).fetch())).result()
        _folder = folder
    return _folder


def offline(settings: Settings, assets_dir: Path) -> Settings:
    """`settings` reading GraphiQL's files from `assets_dir`, with no registry to reach."""
    return settings.model_copy(
        update={"graphiql_assets_dir": assets_dir, "graphiql_npm_registry": NO_REGISTRY}
    )
