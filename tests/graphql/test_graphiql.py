"""GraphiQL's files: the pinned tarballs are checked before anything is unpacked, the cache
serves later starts with no network, and the page says how to get the files when it has
none. The browser's view of it is tests/graphql/test_graphiql_browser.py."""

import asyncio
import io
import logging
import re
import tarfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from bookwell.app import create_app
from bookwell.cli import main
from bookwell.core.config import Settings
from bookwell.graphql.graphiql import AssetCache, IntegrityError
from bookwell.graphql.graphiql.assets import sri
from bookwell.graphql.graphiql.page import README_QUERY
from bookwell.graphql.graphiql.pins import PACKAGES, Package
from tests.support.graphiql_assets import NO_REGISTRY, ROOT, offline, shared_assets_dir
from tests.support.lifespan import started

HTML = {"Accept": "text/html"}
REGISTRY = "https://registry.test"
PINNED_FILES = {
    "graphiql@4.1.2": ["LICENSE", "graphiql.min.css", "graphiql.min.js"],
    "react-dom@18.3.1": ["LICENSE", "react-dom.production.min.js"],
    "react@18.3.1": ["LICENSE", "react.production.min.js"],
}


@pytest.fixture(scope="session")
def graphiql_assets() -> Path:
    return shared_assets_dir()


def tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


# A small package: its tarball has more than the page needs.
WIDGET_FILES = {
    "package/package.json": b'{"name": "widget"}',
    "package/dist/widget.min.js": b"window.widget = 1;\n",
    "package/widget.css": b".widget { color: red }\n",
    "package/src/widget.ts": b"export const widget = 1;\n",
}
WIDGET_TGZ = tarball(WIDGET_FILES)
WIDGET = Package(
    name="widget",
    version="1.0.0",
    integrity=sri(WIDGET_TGZ, "sha512"),
    files={
        "package/dist/widget.min.js": sri(WIDGET_FILES["package/dist/widget.min.js"], "sha384"),
        "package/widget.css": sri(WIDGET_FILES["package/widget.css"], "sha384"),
    },
)


class Registry:
    """An npm registry in memory: tarball URL -> bytes; counts requests."""

    def __init__(self, tarballs: dict[str, bytes]):
        self.tarballs = tarballs
        self.requests: list[str] = []

    def transport(self) -> httpx.MockTransport:
        async def answer(request: httpx.Request) -> httpx.Response:
            self.requests.append(str(request.url))
            await asyncio.sleep(0.01)  # long enough for a second asker to arrive
            body = self.tarballs.get(str(request.url))
            return httpx.Response(200, content=body) if body else httpx.Response(404)

        return httpx.MockTransport(answer)


def widget_cache(folder: Path, body: bytes = WIDGET_TGZ) -> tuple[AssetCache, Registry]:
    registry = Registry({f"{REGISTRY}/widget/-/widget-1.0.0.tgz": body})
    cache = AssetCache(folder, REGISTRY, packages=(WIDGET,), transport=registry.transport())
    return cache, registry


def listing(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) if folder.exists() else []


# --- integrity ------------------------------------------------------------------------


async def test_a_good_tarball_leaves_exactly_the_pinned_files(tmp_path: Path):
    cache, registry = widget_cache(tmp_path / "cache")
    assets = await cache.ensure()
    assert registry.requests == [f"{REGISTRY}/widget/-/widget-1.0.0.tgz"]
    assert listing(tmp_path / "cache") == [
        "widget@1.0.0",
        "widget@1.0.0/widget.css",
        "widget@1.0.0/widget.min.js",
    ]
    assert assets is not None and sorted(assets) == [
        "widget@1.0.0/widget.css",
        "widget@1.0.0/widget.min.js",
    ]
    assert assets["widget@1.0.0/widget.min.js"].body == b"window.widget = 1;\n"
    assert assets["widget@1.0.0/widget.min.js"].media_type == "text/javascript; charset=utf-8"


async def test_a_tampered_tarball_is_refused_and_nothing_is_cached(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    tampered = tarball({**WIDGET_FILES, "package/dist/widget.min.js": b"steal(document.cookie)"})
    cache, _ = widget_cache(tmp_path / "cache", tampered)
    with pytest.raises(IntegrityError, match="does not match the pinned sha512"):
        await cache.fetch()
    assert listing(tmp_path / "cache") == []  # not a file, not a temporary folder
    (refusal,) = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert "refused widget@1.0.0" in refusal.getMessage()
    assert WIDGET.integrity in refusal.getMessage()
    assert "nothing was unpacked or cached" in refusal.getMessage()

    assert await cache.ensure() is None  # the page's view: unavailable, and why
    assert "does not match the pinned sha512" in (cache.problem or "")


async def test_the_real_pins_refuse_whatever_is_not_the_registrys_tarball(tmp_path: Path):
    """Every pinned package, offered something else under its own URL."""
    registry = Registry(
        {p.tarball_url(REGISTRY): tarball({"package/LICENSE": b"MIT"}) for p in PACKAGES}
    )
    cache = AssetCache(tmp_path / "cache", REGISTRY, transport=registry.transport())
    with pytest.raises(IntegrityError):
        await cache.fetch()
    assert listing(tmp_path / "cache") == []


async def test_a_file_unlike_its_pin_is_refused_even_in_a_pinned_tarball(tmp_path: Path):
    wrong_file_pin = Package(
        name=WIDGET.name,
        version=WIDGET.version,
        integrity=WIDGET.integrity,
        files={**WIDGET.files, "package/widget.css": sri(b"something else", "sha384")},
    )
    registry = Registry({f"{REGISTRY}/widget/-/widget-1.0.0.tgz": WIDGET_TGZ})
    cache = AssetCache(
        tmp_path / "cache", REGISTRY, packages=(wrong_file_pin,), transport=registry.transport()
    )
    with pytest.raises(IntegrityError, match="is not the pinned file"):
        await cache.fetch()
    assert listing(tmp_path / "cache") == []


async def test_the_registrys_tarballs_leave_exactly_the_pinned_files(graphiql_assets: Path):
    """The session's download: from registry.npmjs.org, checked against pins.py."""
    expected = [f"{folder}/{name}" for folder, names in PINNED_FILES.items() for name in names]
    assert listing(graphiql_assets) == sorted([*PINNED_FILES, *expected])
    for package in PACKAGES:
        for member, pinned in package.files.items():
            data = (graphiql_assets / package.folder / Path(member).name).read_bytes()
            assert sri(data, "sha384") == pinned


# --- the cache ------------------------------------------------------------------------


async def test_two_askers_at_once_download_once(tmp_path: Path):
    cache, registry = widget_cache(tmp_path / "cache")
    first, second = await asyncio.gather(cache.ensure(), cache.ensure())
    assert first is second is not None
    assert len(registry.requests) == 1


async def test_a_second_cache_on_the_same_folder_reads_it_with_no_network(tmp_path: Path):
    cache, _ = widget_cache(tmp_path / "cache")
    assert await cache.ensure() is not None
    unreachable = Registry({})
    again = AssetCache(
        tmp_path / "cache", REGISTRY, packages=(WIDGET,), transport=unreachable.transport()
    )
    assert await again.ensure() is not None
    assert unreachable.requests == []


async def test_a_damaged_cached_file_is_downloaded_again(tmp_path: Path):
    cache, _ = widget_cache(tmp_path / "cache")
    await cache.fetch()
    (tmp_path / "cache" / "widget@1.0.0" / "widget.css").write_bytes(b"damaged")
    again, registry = widget_cache(tmp_path / "cache")
    assets = await again.ensure()
    assert assets is not None and len(registry.requests) == 1
    assert assets["widget@1.0.0/widget.css"].body == WIDGET_FILES["package/widget.css"]
    assert listing(tmp_path / "cache")[0] == "widget@1.0.0"  # no leftovers beside it


async def test_after_a_failure_askers_are_answered_at_once_for_a_while(tmp_path: Path):
    registry = Registry({})  # 404 for everything
    cache = AssetCache(
        tmp_path / "cache", REGISTRY, packages=(WIDGET,), transport=registry.transport()
    )
    assert await cache.ensure() is None
    assert "404" in (cache.problem or "")
    assert await cache.ensure() is None
    assert len(registry.requests) == 1
    cache.retry_seconds = 0
    registry.tarballs[f"{REGISTRY}/widget/-/widget-1.0.0.tgz"] = WIDGET_TGZ
    assert await cache.ensure() is not None
    assert cache.problem is None


# --- the page and its files -----------------------------------------------------------


@asynccontextmanager
async def app_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with started(app) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


async def test_the_page_and_its_files_come_from_the_cache_with_no_network(
    settings: Settings, graphiql_assets: Path
):
    async with app_client(offline(settings, graphiql_assets)) as http:
        page = await http.get("/graphql", headers=HTML)
        assert page.status_code == 200, page.text
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert page.headers["cache-control"] == "no-cache"
        policy = page.headers["content-security-policy"]
        assert "script-src 'self';" in policy and "connect-src 'self'" in policy
        assert "unsafe-eval" not in policy and "https:" not in policy
        assert "<script>" not in page.text  # every script is a file
        sources = re.findall(r'(?:src|href)="(/graphiql/[^"]+)"', page.text)
        assert sources == [
            "/graphiql/graphiql@4.1.2/graphiql.min.css",
            "/graphiql/" + _own(sources, ".css"),
            "/graphiql/react@18.3.1/react.production.min.js",
            "/graphiql/react-dom@18.3.1/react-dom.production.min.js",
            "/graphiql/graphiql@4.1.2/graphiql.min.js",
            "/graphiql/" + _own(sources, ".js"),
        ]
        for source in sources:
            plain = await http.get(source, headers={"Accept-Encoding": "identity"})
            assert plain.status_code == 200, source
            kind = "text/css" if source.endswith(".css") else "text/javascript"
            assert plain.headers["content-type"] == f"{kind}; charset=utf-8"
            assert plain.headers["cache-control"] == "public, max-age=31536000, immutable"
            assert plain.headers["x-content-type-options"] == "nosniff"
            assert "content-encoding" not in plain.headers
            zipped = await http.get(source, headers={"Accept-Encoding": "gzip"})
            assert zipped.headers["content-encoding"] == "gzip"
            assert zipped.content == plain.content  # httpx decodes it
            if not source.startswith("/graphiql/bookwell-"):
                pinned = (graphiql_assets / source.removeprefix("/graphiql/")).read_bytes()
                assert plain.content == pinned

        license = await http.get("/graphiql/react@18.3.1/LICENSE")
        assert license.headers["content-type"] == "text/plain; charset=utf-8"
        assert "MIT License" in license.text
        for missing in ("/graphiql/react@18.3.1/package.json", "/graphiql/../pyproject.toml"):
            assert (await http.get(missing)).status_code == 404


def _own(sources: list[str], suffix: str) -> str:
    (name,) = [s for s in sources if s.startswith("/graphiql/bookwell-") and s.endswith(suffix)]
    assert re.fullmatch(rf"/graphiql/bookwell-graphiql\.[0-9a-f]{{16}}\{suffix}", name)
    return name.removeprefix("/graphiql/")


async def test_the_page_holds_the_readmes_first_query():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## A first query and a first booking", 1)[1]
    first = section.split("```graphql\n", 1)[1].split("```", 1)[0]
    assert first == README_QUERY


async def test_without_its_files_the_page_is_a_503_that_says_how_to_get_them(
    settings: Settings, tmp_path: Path
):
    folder = tmp_path / "no-assets"
    settings = settings.model_copy(
        update={"graphiql_assets_dir": folder, "graphiql_npm_registry": NO_REGISTRY}
    )
    async with app_client(settings) as http:
        page = await http.get("/graphql", headers=HTML)
        assert page.status_code == 503
        assert page.headers["content-type"] == "text/html; charset=utf-8"
        assert page.headers["retry-after"] == "30"
        assert page.headers["cache-control"] == "no-store"
        assert "<pre>bookwell graphiql fetch</pre>" in page.text
        assert "BOOKWELL_GRAPHIQL_ASSETS=cdn" in page.text
        assert "could not download http://127.0.0.1:9/" in page.text
        assert "<script" not in page.text
        # The files are not there either; the API is.
        asset = await http.get("/graphiql/react@18.3.1/react.production.min.js")
        assert asset.status_code == 404
        answer = await http.post("/graphql", json={"query": "{ __typename }"})
        assert answer.status_code == 200
    assert listing(folder) == []


async def test_the_cdn_page_loads_the_same_pinned_files_with_sri(
    settings: Settings, tmp_path: Path
):
    folder = tmp_path / "never-filled"
    settings = settings.model_copy(
        update={
            "graphiql_assets": "cdn",
            "graphiql_assets_dir": folder,
            "graphiql_npm_registry": NO_REGISTRY,
        }
    )
    async with app_client(settings) as http:
        page = await http.get("/graphql", headers=HTML)
        assert page.status_code == 200
        policy = page.headers["content-security-policy"]
        assert "script-src 'self' https://cdn.jsdelivr.net/npm/;" in policy
        tags = re.findall(r"<(?:script|link)[^>]+cdn.jsdelivr[^>]+>", page.text)
        expected = [
            ("graphiql@4.1.2/graphiql.min.css", "graphiql", "package/graphiql.min.css"),
            (
                "react@18.3.1/umd/react.production.min.js",
                "react",
                "package/umd/react.production.min.js",
            ),
            (
                "react-dom@18.3.1/umd/react-dom.production.min.js",
                "react-dom",
                "package/umd/react-dom.production.min.js",
            ),
            ("graphiql@4.1.2/graphiql.min.js", "graphiql", "package/graphiql.min.js"),
        ]
        pins = {p.name: p for p in PACKAGES}
        assert len(tags) == len(expected)
        for tag, (path, name, member) in zip(tags, expected, strict=True):
            assert f"https://cdn.jsdelivr.net/npm/{path}" in tag
            assert f'integrity="{pins[name].files[member]}" crossorigin="anonymous"' in tag
        own = re.findall(r'src="(/graphiql/bookwell-graphiql\.[0-9a-f]+\.js)"', page.text)
        assert len(own) == 1 and (await http.get(own[0])).status_code == 200
        assert (await http.get("/graphiql/react@18.3.1/LICENSE")).status_code == 404
    assert listing(folder) == []


async def test_graphiql_off_means_no_page_and_no_files(settings: Settings, graphiql_assets: Path):
    settings = offline(settings, graphiql_assets).model_copy(update={"graphiql": False})
    async with app_client(settings) as http:
        assert (await http.get("/graphql", headers=HTML)).status_code == 404
        page = await http.get("/graphiql/react@18.3.1/react.production.min.js")
        assert page.status_code == 404


# --- the command ----------------------------------------------------------------------


def test_graphiql_fetch_fills_the_cache_or_says_why_not(
    graphiql_assets: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("BOOKWELL_GRAPHIQL_NPM_REGISTRY", NO_REGISTRY)
    monkeypatch.setenv("BOOKWELL_GRAPHIQL_ASSETS_DIR", str(graphiql_assets))
    done = CliRunner().invoke(main, ["graphiql", "fetch"])
    assert done.exit_code == 0, done.output
    assert "graphiql 4.1.2: already there" in done.output

    monkeypatch.setenv("BOOKWELL_GRAPHIQL_ASSETS_DIR", str(tmp_path / "empty"))
    failed = CliRunner().invoke(main, ["graphiql", "fetch"])
    assert failed.exit_code == 1
    assert "could not download http://127.0.0.1:9/" in failed.output
