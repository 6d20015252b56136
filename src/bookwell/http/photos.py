"""GET /photos/<key>: a listing photo's file (one size of it), from the photo storage.

Public, as listings are. A key names one upload's size and never changes content (a new
upload is a new key), so answers are cacheable for ever. The bytes are an image Bookwell
encoded itself (services/listings/images.py), served with its own type and nosniff."""

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bookwell.core.config import Settings
from bookwell.core.storage import photo_storage

MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
HEADERS = {
    "Cache-Control": "public, max-age=31536000, immutable",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'",
}


def photo_files(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    storage = photo_storage(settings)

    async def photo(request: Request) -> Response:
        key: str = request.path_params["key"]
        media_type = MEDIA_TYPES.get(key.rsplit(".", 1)[-1])
        data = await storage.read(key) if key.startswith("listings/") and media_type else None
        if data is None:
            return PlainTextResponse("Not found.", status_code=404)
        return Response(data, media_type=media_type, headers=HEADERS)

    return photo
