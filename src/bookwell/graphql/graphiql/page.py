"""The GraphiQL page of GET /graphql, and its files under /graphiql/.

Every script is a served file (no inline script), so the page runs under a strict
Content-Security-Policy. The files are the pinned npm packages from this machine's cache
(assets.py), or, only when BOOKWELL_GRAPHIQL_ASSETS=cdn, the same pinned files from jsDelivr
with SRI; when the cache cannot be filled the page is a 503 that says how to fill it.
"""

import hashlib
import html
from importlib.resources import files
from pathlib import PurePosixPath

from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from bookwell.core.config import Settings
from bookwell.graphql.graphiql.assets import Asset, AssetCache, served_paths

CDN = "https://cdn.jsdelivr.net/npm"
# The README's first query ("A first query and a first booking"), word for word.
README_QUERY = """{
  searchAvailability(startDate: "2027-03-01", nights: 3, filter: { city: "Paris" }) {
    totalCount
    edges { node { id title kind units nightlyPrice { amount currency }
                   availability(startDate: "2027-03-01", endDate: "2027-03-04") { freeUnits } } }
  }
}
"""
DEFAULT_QUERY = (
    "# Ctrl-Enter runs it. To book, sign in under Headers:\n"
    '# {"Authorization": "Bearer <token>"}\n' + README_QUERY
)
IMMUTABLE = "public, max-age=31536000, immutable"


def content_security_policy(cdn: str | None = None) -> str:
    extra = f" {cdn}/" if cdn else ""
    return "; ".join(
        [
            "default-src 'none'",
            f"script-src 'self'{extra}",
            # GraphiQL's editors set style attributes.
            f"style-src 'self' 'unsafe-inline'{extra}",
            # GraphiQL's stylesheet has its fonts and icons inline, as data: URLs.
            "font-src 'self' data:",
            "img-src 'self' data:",
            # /graphql over HTTP and the websocket (CSP 3: 'self' covers ws: and wss:).
            "connect-src 'self'",
            "base-uri 'none'",
            "form-action 'none'",
            "frame-ancestors 'none'",
        ]
    )


def _own_files() -> dict[str, Asset]:
    """The page's own script and stylesheet, named by their content's hash."""
    own = {}
    for name in ("bookwell-graphiql.js", "bookwell-graphiql.css"):
        body = files("bookwell.graphql.graphiql").joinpath("static", name).read_bytes()
        stem, suffix = PurePosixPath(name).stem, PurePosixPath(name).suffix
        own[f"{stem}.{hashlib.sha256(body).hexdigest()[:16]}{suffix}"] = Asset.of(name, body)
    return own


class GraphiQLPage:
    """GET /graphql in a browser (`page`) and GET /graphiql/{path} (`asset`)."""

    def __init__(self, settings: Settings, cache: AssetCache | None = None):
        self.enabled = settings.graphiql
        self.cdn = settings.graphiql_assets == "cdn"
        self.cache = cache or AssetCache(
            settings.graphiql_assets_path, settings.graphiql_npm_registry
        )
        self.own = _own_files()
        self.pinned = served_paths(self.cache.packages)

    async def page(self, request: Request) -> Response:
        if not self.cdn and await self.cache.ensure() is None:
            return self._unavailable()
        return self._render()

    async def asset(self, request: Request) -> Response:
        path = request.path_params["path"]
        found = self.own.get(path) if self.enabled else None
        if found is None and self.enabled and not self.cdn and path in self.pinned:
            found = (await self.cache.ensure() or {}).get(path)
        if found is None:
            return PlainTextResponse("Not Found", status_code=404)
        headers = {
            "Cache-Control": IMMUTABLE,
            "X-Content-Type-Options": "nosniff",
            "Vary": "Accept-Encoding",
        }
        body = found.body
        if "gzip" in request.headers.get("accept-encoding", ""):
            body = found.gzipped
            headers["Content-Encoding"] = "gzip"
        return Response(body, media_type=found.media_type, headers=headers)

    def _render(self) -> HTMLResponse:
        scripts, styles = [], []
        for package in self.cache.packages:
            for member, pinned in package.files.items():
                if self.cdn:  # jsDelivr serves the tarball's paths; the browser checks SRI
                    url = f"{CDN}/{package.folder}/{member.removeprefix('package/')}"
                    attributes = f' integrity="{pinned}" crossorigin="anonymous"'
                else:
                    url, attributes = f"/graphiql/{package.folder}/{PurePosixPath(member).name}", ""
                if url.endswith(".js"):
                    scripts.append(f'<script src="{url}"{attributes}></script>')
                elif url.endswith(".css"):
                    styles.append(f'<link rel="stylesheet" href="{url}"{attributes}>')
        for name in self.own:  # after GraphiQL's: the page's script needs its globals
            if name.endswith(".js"):
                scripts.append(f'<script src="/graphiql/{name}"></script>')
            else:
                styles.append(f'<link rel="stylesheet" href="/graphiql/{name}">')
        body = PAGE.format(
            styles="\n".join(styles),
            scripts="\n".join(scripts),
            query=html.escape(DEFAULT_QUERY),
        )
        headers = {
            "Content-Security-Policy": content_security_policy(CDN if self.cdn else None),
            "Cache-Control": "no-cache",
            "X-Frame-Options": "DENY",  # frame-ancestors' equivalent for older browsers
        }
        return HTMLResponse(body, headers=headers)

    def _unavailable(self) -> HTMLResponse:
        packages = ", ".join(f"{p.name} {p.version}" for p in self.cache.packages)
        body = UNAVAILABLE.format(
            packages=html.escape(packages),
            problem=html.escape(self.cache.problem or "unknown"),
        )
        headers = {
            "Content-Security-Policy": content_security_policy(),
            "Cache-Control": "no-store",
            "X-Frame-Options": "DENY",
            "Retry-After": str(int(self.cache.retry_seconds)),
        }
        return HTMLResponse(body, status_code=503, headers=headers)


PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Bookwell GraphiQL</title>
<link rel="icon" href="data:,">
{styles}
</head>
<body>
<div id="graphiql" data-endpoint="/graphql" data-query="{query}">Loading GraphiQL...</div>
<noscript>GraphiQL needs JavaScript. The API answers POST /graphql without it.</noscript>
{scripts}
</body>
</html>
"""

UNAVAILABLE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>GraphiQL is not installed yet - Bookwell</title>
<link rel="icon" href="data:,">
<style>body {{ font: 16px/1.5 system-ui, sans-serif; max-width: 44em; margin: 3em auto; }}
pre, code {{ background: #f2f2f2; padding: 0 .3em; }}</style>
</head>
<body>
<h1>GraphiQL's files are not here yet</h1>
<p>Bookwell serves GraphiQL from its own copy of pinned npm packages ({packages}), downloaded
from the npm registry on first use and checked against their pinned sha512. This server could
not get them: {problem}.</p>
<p>Fetch them where the npm registry can be reached, with the same
<code>BOOKWELL_DATA_DIR</code> (or <code>BOOKWELL_GRAPHIQL_ASSETS_DIR</code>):</p>
<pre>bookwell graphiql fetch</pre>
<p>and reload this page (or copy that folder's <code>graphiql/</code> here). Or let browsers
load the same pinned files from a CDN: <code>BOOKWELL_GRAPHIQL_ASSETS=cdn</code>.</p>
<p>The API itself works: send GraphQL as POST to this URL.</p>
</body>
</html>
"""
