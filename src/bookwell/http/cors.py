"""Which other origins may call the API from a browser (Starlette's CORSMiddleware).

`BOOKWELL_CORS_ORIGINS` lists them, comma-separated (`https://app.example.com`); a `*` in a
port or subdomain matches any (`http://localhost:*`, `https://*.example.com`), and `*` alone
lets every origin in. Unset: in development any port of localhost and 127.0.0.1 (a Vite or
Next dev server), in production none. Set but empty: none.

The API authenticates with a bearer header, never cookies, so no credentials are allowed:
a page of another origin can read only what its own token (or none) may read.
"""

import re
from collections.abc import Callable
from typing import Any

from bookwell.core.config import Settings

DEVELOPMENT_ORIGINS = ("http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*")
# What clients send and read: the token, JSON bodies, a request id of their own for support.
ALLOWED_HEADERS = ("Authorization", "Content-Type", "Accept", "X-Request-ID")
EXPOSED_HEADERS = ("X-Request-ID", "Retry-After", "WWW-Authenticate")
# Chromium caps a cached preflight at two hours.
PREFLIGHT_MAX_AGE_SECONDS = 7200


def allowed_origins(settings: Settings) -> list[str]:
    if settings.cors_origins is None:
        return list(DEVELOPMENT_ORIGINS) if settings.environment == "development" else []
    return [
        origin.strip().rstrip("/") for origin in settings.cors_origins.split(",") if origin.strip()
    ]


def _pattern(origin: str) -> str:
    """A regex for an origin with `*`s: `:*` at the end is any port or none (a dev server
    on port 80 sends no port), any other `*` one host label."""
    any_port = origin.endswith(":*")
    if any_port:
        origin = origin[:-2]
    parts = re.split(r"(\*)", origin)
    pattern = "".join("[A-Za-z0-9-]+" if part == "*" else re.escape(part) for part in parts)
    return pattern + ("(?::[0-9]{1,5})?" if any_port else "")


def origin_matcher(settings: Settings) -> Callable[[str], bool]:
    """Whether a browser page of `origin` may use the API: CORS for HTTP, and the same rule
    for websockets (whose sign-in is in the connection_init payload, never a cookie)."""
    options = cors_options(settings)
    if options is None:
        return lambda origin: False
    exact = set(options["allow_origins"])
    regex = re.compile(options["allow_origin_regex"]) if options["allow_origin_regex"] else None
    return lambda origin: "*" in exact or origin in exact or bool(regex and regex.fullmatch(origin))


def cors_options(settings: Settings) -> dict[str, Any] | None:
    """CORSMiddleware's keyword arguments, or None when no other origin is allowed."""
    origins = allowed_origins(settings)
    if not origins:
        return None
    exact = [origin for origin in origins if "*" not in origin or origin == "*"]
    patterns = [_pattern(origin) for origin in origins if "*" in origin and origin != "*"]
    return {
        "allow_origins": exact,
        "allow_origin_regex": "|".join(f"(?:{p})" for p in patterns) or None,
        "allow_methods": ["GET", "POST", "OPTIONS"],
        "allow_headers": list(ALLOWED_HEADERS),
        "expose_headers": list(EXPOSED_HEADERS),
        "allow_credentials": False,
        "max_age": PREFLIGHT_MAX_AGE_SECONDS,
    }
