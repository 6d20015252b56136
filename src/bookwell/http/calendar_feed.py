"""GET /listings/{id}/calendar.ics?token=...: a listing's booked ranges as iCalendar
(services/calendar/export.py), for calendars and channel managers that subscribe to it.

The token (services/accounts/feed_tokens.py) is the only credential: a calendar app sends no header.
A missing or wrong token and an unknown listing answer the same 404, so the feed never
tells whether a listing exists. An Authorization header, when one is sent, is checked by the
app's authentication middleware like anywhere else (http/authentication.py): a bad one is
401 (`calendar_feed_refusal`), a good one signs the request in, but the feed token still
decides.
"""

from collections.abc import Awaitable, Callable

from starlette.authentication import AuthenticationError
from starlette.requests import HTTPConnection, Request
from starlette.responses import PlainTextResponse, Response

from bookwell.core.ids import database_id_of
from bookwell.services.accounts.feed_tokens import is_feed_token
from bookwell.services.calendar.export import listing_feed

MEDIA_TYPE = "text/calendar; charset=utf-8"


def calendar_feed(key: str) -> Callable[[Request], Awaitable[Response]]:
    async def feed(request: Request) -> Response:
        listing_id = database_id_of(request.path_params["listing_id"])
        token = request.query_params.get("token", "")
        if listing_id is None or not is_feed_token(key, listing_id, token):
            return _not_found()
        async with request.state.db.read() as session:
            text = await listing_feed(session=session, listing_id=listing_id)
        if text is None:
            return _not_found()
        headers = {"Content-Disposition": 'inline; filename="calendar.ics"'}
        return Response(text, media_type=MEDIA_TYPE, headers=headers)

    return feed


def calendar_feed_refusal(conn: HTTPConnection, error: AuthenticationError) -> Response:
    """The authentication middleware's answer to a bad bearer token on the feed."""
    headers = {"WWW-Authenticate": 'Bearer error="invalid_token"', "Cache-Control": "no-store"}
    return PlainTextResponse(str(error), status_code=401, headers=headers)


def _not_found() -> Response:
    return PlainTextResponse("Not found.", status_code=404)
