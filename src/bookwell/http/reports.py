"""Reports over plain HTTP, for browsers and scripts:

    GET /reports/{listingId}.{html,txt,csv,json}?start=YYYY-MM-DD&end=YYYY-MM-DD
    GET /reports/?start=YYYY-MM-DD&end=YYYY-MM-DD&format=html|text|csv|json  (all listings
        the caller may see; no format: JSON; optional &city=)
    Authorization: Bearer <token>   (or ?access_token=<token>, for a link a browser follows)

The token is checked by the app's authentication middleware (http/authentication.py), which
answers a bad one with `refuse_token`; the endpoint reads the principal it signed in. The
same rules as the GraphQL `report` query: 401 without a valid token, 403 for a guest,
404 for a listing that does not exist or is not the host's (the two are not told apart),
400 for a bad format or range. Errors are JSON: {"error": {"code", "message", "field"}}.
"""

import asyncio
import logging
import re
import uuid
from dataclasses import dataclass
from datetime import date

from starlette.authentication import AuthenticationError
from starlette.requests import HTTPConnection, Request
from starlette.responses import JSONResponse, Response

from bookwell.core.errors import DomainError, ErrorCode
from bookwell.core.ids import database_id_of
from bookwell.http.authentication import principal_of
from bookwell.services.accounts.principal import Principal
from bookwell.services.reports import reports
from bookwell.services.reports.figures import Report
from bookwell.services.reports.render import ReportFormat, render
from bookwell.services.reports.render.json import render_json

log = logging.getLogger(__name__)

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
STATUS = {
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.INVALID_DATES: 400,
    ErrorCode.INVALID_INPUT: 400,
}


@dataclass(frozen=True, slots=True)
class Download:
    extension: str
    format: ReportFormat
    media_type: str
    disposition: str


DOWNLOADS = {
    d.extension: d
    for d in (
        Download("html", ReportFormat.HTML, "text/html; charset=utf-8", "inline"),
        Download("txt", ReportFormat.TEXT, "text/plain; charset=utf-8", "inline"),
        Download("csv", ReportFormat.CSV, "text/csv; charset=utf-8", "attachment"),
        Download("json", ReportFormat.JSON, "application/json", "inline"),
    )
}


def _principal(request: Request) -> Principal:
    principal = principal_of(request)
    if principal is None:
        raise DomainError(
            ErrorCode.UNAUTHENTICATED, "Send Authorization: Bearer <token>, or ?access_token=."
        )
    return principal


def refuse_token(conn: HTTPConnection, error: AuthenticationError) -> Response:
    """The authentication middleware's answer to a bad token on /reports: 401 in the
    reports' error shape."""
    return _error(DomainError(ErrorCode.UNAUTHENTICATED, str(error)), conn.state.request_id)


def _file(name: str) -> tuple[str, Download]:
    """`<listing id>.<extension>`: the id and what to send."""
    stem, dot, extension = name.rpartition(".")
    download = DOWNLOADS.get(extension) if dot else None
    if download is None:
        raise DomainError(
            ErrorCode.INVALID_INPUT,
            "Ask for /reports/<listing id>.html, .txt, .csv or .json.",
            "format",
        )
    return stem, download


def _listing_id(value: str) -> uuid.UUID:
    parsed = database_id_of(value)
    if parsed is None:
        raise DomainError(ErrorCode.NOT_FOUND, "No listing with that id.", "listingId")
    return parsed


def _date(request: Request, name: str) -> date:
    value = request.query_params.get(name)
    if value is None or not ISO_DATE.fullmatch(value):
        raise DomainError(ErrorCode.INVALID_DATES, f"Give {name}=YYYY-MM-DD.", name)
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise DomainError(ErrorCode.INVALID_DATES, f"{name}={value} is no date.", name) from None


def _body(report: Report, download: Download) -> str | bytes:
    if download.format is ReportFormat.JSON:
        return render_json(report)
    text = render(report, download.format) or ""
    # A byte-order mark, so that spreadsheets (Excel) read the CSV as UTF-8.
    return "\ufeff" + text if download.format is ReportFormat.CSV else text


def _error(error: DomainError, request_id: str) -> JSONResponse:
    # A query parameter's name: the path of one name GraphQL errors give as a list.
    field = ".".join(error.field) if error.field else None
    body = {"error": {"code": error.code.value, "message": error.message, "field": field}}
    headers = {"X-Request-ID": request_id, "Cache-Control": "no-store"}
    if error.code is ErrorCode.UNAUTHENTICATED:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(body, status_code=STATUS.get(error.code, 400), headers=headers)


async def report_download(request: Request) -> Response:
    """The endpoint. The database is the lifespan's and the request id the request context's
    (observability/request_context.py), both from the request's state."""
    request_id = request.state.request_id
    try:
        principal = _principal(request)
        reports.require_reporter(principal)
        stem, wanted = _file(request.path_params["file"])
        start, end = _date(request, "start"), _date(request, "end")
        listing_id = _listing_id(stem)
        async with request.state.db.read() as session:
            found = await reports.build_report(
                session=session,
                principal=principal,
                start_date=start,
                end_date=end,
                listing_id=listing_id,
            )
        body = await asyncio.to_thread(_body, found, wanted)
    except DomainError as error:
        return _error(error, request_id)
    except Exception:
        return _unexpected(request_id)
    return _answer(body, wanted, f"report-{listing_id}-{start}-{end}", request_id)


def _unexpected(request_id: str) -> JSONResponse:
    log.exception("unexpected error (request %s)", request_id)
    answer = {"error": {"code": "INTERNAL_ERROR", "message": "Unexpected error."}}
    return JSONResponse(answer, status_code=500, headers={"X-Request-ID": request_id})


def _answer(body: str | bytes, wanted: Download, stem: str, request_id: str) -> Response:
    filename = f"{stem}.{wanted.extension}"
    headers = {
        "Content-Disposition": f'{wanted.disposition}; filename="{filename}"',
        "Cache-Control": "private, no-store",
        "X-Request-ID": request_id,
        "X-Content-Type-Options": "nosniff",
        # The page needs its own inline styles and nothing else.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
    }
    return Response(body, media_type=wanted.media_type, headers=headers)


# `format=` of GET /reports/: the formats' names (and the download extensions).
FORMATS = {
    **{d.format.value.lower(): d for d in DOWNLOADS.values()},
    **DOWNLOADS,
}


def _format(request: Request) -> Download:
    value = request.query_params.get("format", "json").strip().lower()
    wanted = FORMATS.get(value)
    if wanted is None:
        raise DomainError(
            ErrorCode.INVALID_INPUT, "Ask for format=html, text, csv or json.", "format"
        )
    return wanted


async def report_index(request: Request) -> Response:
    """GET /reports/?start=&end=[&format=html|text|csv|json][&city=]: every listing the caller
    may see (a host: theirs; an admin: all) in one report, the GraphQL `report` without a
    listingId; JSON when no format is given. Same authentication, errors and headers as a
    listing's download."""
    request_id = request.state.request_id
    try:
        principal = _principal(request)
        reports.require_reporter(principal)
        wanted = _format(request)
        start, end = _date(request, "start"), _date(request, "end")
        async with request.state.db.read() as session:
            found = await reports.build_report(
                session=session,
                principal=principal,
                start_date=start,
                end_date=end,
                city=request.query_params.get("city"),
            )
        body = await asyncio.to_thread(_body, found, wanted)
    except DomainError as error:
        return _error(error, request_id)
    except Exception:
        return _unexpected(request_id)
    return _answer(body, wanted, f"report-{start}-{end}", request_id)
