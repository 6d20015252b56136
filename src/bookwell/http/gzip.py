"""Starlette's GZipMiddleware without its per-request cost: each request's responder
re-normalised the excluded content types (about 60 calls) although the middleware had
done it once (issue 18). Same responders, same behaviour: compressed when the client
accepts gzip and the body is large enough, `Vary: Accept-Encoding` on large bodies."""

from starlette.middleware.gzip import GZipMiddleware, GZipResponder, IdentityResponder
from starlette.types import Receive, Scope, Send


class GZip(GZipMiddleware):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        responder: IdentityResponder
        if b"gzip" in _accept_encoding(scope):
            responder = GZipResponder(
                self.app,
                self.minimum_size,
                compresslevel=self.compresslevel,
                thread_minimum_size=self.thread_minimum_size,
                exclude_content_types=(),
            )
        else:
            responder = IdentityResponder(self.app, self.minimum_size, exclude_content_types=())
        responder.exclude_content_types = self.exclude_content_types  # normalised once
        await responder(scope, receive, send)


def _accept_encoding(scope: Scope) -> bytes:
    """The first Accept-Encoding header's value, as Starlette's Headers.get finds it."""
    for name, value in scope["headers"]:
        if name == b"accept-encoding":
            return value
    return b""
