"""Forged requests and framing at /admin.

The admin's cookie is SameSite=Lax: a page on a sibling subdomain is "same-site", so its
form posts carried the cookie and could change a user's role. A state-changing request
(anything but GET, HEAD, OPTIONS) now needs both:

- to come from the admin's own origin when a browser says where it comes from
  (`Sec-Fetch-Site` same-origin, `Origin` or else `Referer` naming this host or the
  configured public URL): a sibling origin is refused even with a valid token;
- the session's token (synchronizer token pattern, OWASP), sent as the form field
  `csrf_token`, which every admin form carries (templates), or the `X-CSRF-Token` header.

sqladmin has no CSRF support of its own, and starlette-csrf reads the token from a header
only (no plain HTML form could send it), hence this module.
"""

import hmac
import secrets
from urllib.parse import urlsplit

from markupsafe import Markup, escape
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FIELD = "csrf_token"
HEADER = "x-csrf-token"
SESSION_KEY = "csrf"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# No page of the admin (or GraphiQL) may be shown in a frame: no clickjacking.
FRAME_HEADERS = {"X-Frame-Options": "DENY", "Content-Security-Policy": "frame-ancestors 'none'"}


def csrf_token(request: Request) -> str:
    """The session's token, made on first use."""
    token = request.session.get(SESSION_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session[SESSION_KEY] = token
    return token


def csrf_input(request: Request) -> Markup:
    """The hidden field the admin's forms carry (a Jinja global: templates/sqladmin/)."""
    value = escape(csrf_token(request))
    return Markup(f'<input type="hidden" name="{FIELD}" value="{value}">')


async def forgery_refusal(request: Request, public_url: str) -> Response | None:
    """403 for a state-changing request that is not the admin's own, else None. sqladmin
    runs its list actions (revoking API tokens) on GET: a link on another site could run
    one, so they must come from this origin too (no token: sqladmin builds their URLs)."""
    if request.method in SAFE_METHODS:
        if _is_action(request) and not _from_this_origin(request, public_url):
            return _refused("Cross-origin requests may not change anything here.")
        return None
    if not _from_this_origin(request, public_url):
        return _refused("Cross-origin requests may not change anything here.")
    expected = request.session.get(SESSION_KEY)
    sent = request.headers.get(HEADER)
    if sent is None:
        value = (await request.form()).get(FIELD)  # cached: the view reads the same form
        sent = value if isinstance(value, str) else None
    if not isinstance(expected, str) or not sent or not hmac.compare_digest(expected, sent):
        return _refused("The form has expired or was not sent by this admin: reload it.")
    return None


def _is_action(request: Request) -> bool:
    return "/action/" in request.url.path


def _from_this_origin(request: Request, public_url: str) -> bool:
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return False
    source = request.headers.get("origin") or request.headers.get("referer")
    if source is None:
        return True  # not a browser that says so: the token decides
    host = urlsplit(source).netloc.lower()
    own = {request.headers.get("host", "").lower(), urlsplit(public_url).netloc.lower()}
    return bool(host) and host in own


def _refused(message: str) -> Response:
    return PlainTextResponse(message + "\n", status_code=403, headers=FRAME_HEADERS)


class NoFraming:
    """Adds FRAME_HEADERS to every answer of the app it wraps (a CSP the answer has is
    extended with frame-ancestors, not replaced)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_frame_headers(message.get("headers", []))
            await send(message)

        await self.app(scope, receive, send_with_headers)


def with_frame_headers(headers: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    kept = [(k, v) for k, v in headers if k.lower() != b"x-frame-options"]
    kept.append((b"x-frame-options", b"DENY"))
    for index, (key, value) in enumerate(kept):
        if key.lower() == b"content-security-policy":
            if b"frame-ancestors" not in value:
                kept[index] = (key, value.rstrip(b"; ") + b"; frame-ancestors 'none'")
            return kept
    kept.append((b"content-security-policy", b"frame-ancestors 'none'"))
    return kept
