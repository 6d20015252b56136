"""Starlette's GZipMiddleware without its per-request cost (issue 18): the excluded content
types normalised once, not by every request's responder (about 60 calls), and a client that
does not accept gzip answered by `_identity` below, on the raw headers, not by Starlette's
IdentityResponder, which builds two Headers objects per response (0.58 s of a 3000-request
profile of `bench.inprocess search`, its downstream send included). Same
behaviour: compressed when the client accepts gzip and the body is large enough (Starlette's
GZipResponder), `Vary: Accept-Encoding` on large bodies either way."""

from starlette.middleware.gzip import GZipMiddleware, GZipResponder
from starlette.types import Message, Receive, Scope, Send

VARY_VALUE = b"Accept-Encoding"


class GZip(GZipMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if b"gzip" in _accept_encoding(scope):
            responder = GZipResponder(
                self.app,
                self.minimum_size,
                compresslevel=self.compresslevel,
                thread_minimum_size=self.thread_minimum_size,
                exclude_content_types=(),
            )
            responder.exclude_content_types = self.exclude_content_types  # normalised once
            await responder(scope, receive, send)
            return
        await self.app(
            scope, receive, _identity(send, self.minimum_size, self.exclude_content_types)
        )


def _identity(send: Send, minimum_size: int, excluded: tuple[str, ...]) -> Send:
    """Starlette's IdentityResponder.send_with_compression, branch for branch, on the raw
    headers: the start held until the first body shows whether the answer is large (then it
    says `Vary: Accept-Encoding`, as a compressed one would); passed through at once when the
    answer is already encoded, partial (206) or of an excluded type."""
    start: Message = {}
    passing = False  # encoded, partial or excluded: every message as it comes
    started = False

    async def identity_send(message: Message) -> None:
        nonlocal start, passing, started
        kind = message["type"]
        if kind == "http.response.start":
            start = message
            headers = message.setdefault("headers", [])
            passing = message["status"] == 206 or _encoded_or_excluded(headers, excluded)
            if passing:
                await send(start)
        elif kind in ("http.response.body", "http.response.pathsend") and passing:
            await send(message)
        elif kind == "http.response.body" and not started:
            started = True
            more_body = message.get("more_body", False)
            if more_body or len(message.get("body", b"")) >= minimum_size:
                _add_vary(start["headers"])
            await send(start)
            await send(message)
        elif kind == "http.response.body":
            # IdentityResponder's apply_compression answers the body itself
            message["body"] = message.get("body", b"")
            await send(message)
        elif kind in ("http.response.early_hint", "http.response.trailers"):
            await send(message)
        elif kind == "http.response.pathsend":
            await send(start)
            await send(message)

    return identity_send


def _encoded_or_excluded(headers: list[tuple[bytes, bytes]], excluded: tuple[str, ...]) -> bool:
    """Whether the headers hold a Content-Encoding, or the first Content-Type is excluded
    (Starlette's test: the media type, lowercased, or its `type/*`)."""
    content_type = None
    for name, value in headers:
        if name == b"content-encoding":
            return True
        if name == b"content-type" and content_type is None:
            content_type = value
    if content_type is None:
        media_type = ""
    else:
        media_type = content_type.decode("latin-1").partition(";")[0].strip().lower()
    media_types = {media_type, media_type.partition("/")[0] + "/*"}
    if media_type.startswith("application/grpc+"):
        media_types.add("application/grpc")
    return not media_types.isdisjoint(excluded)


def _add_vary(headers: list[tuple[bytes, bytes]]) -> None:
    """MutableHeaders.add_vary_header: every Vary's value and Accept-Encoding joined in the
    first Vary's place (the others dropped), or a new header at the end."""
    places = [index for index, (name, _value) in enumerate(headers) if name == b"vary"]
    if not places:
        headers.append((b"vary", VARY_VALUE))
        return
    values = [headers[index][1] for index in places]
    headers[places[0]] = (b"vary", b", ".join([*values, VARY_VALUE]))
    for index in reversed(places[1:]):
        del headers[index]


def _accept_encoding(scope: Scope) -> bytes:
    """The first Accept-Encoding header's value, as Starlette's Headers.get finds it."""
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            return value
    return b""
