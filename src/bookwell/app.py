"""Composition root: settings -> database (lifespan) -> GraphQL view -> Starlette routes."""

import contextlib
import gc
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Protocol

import orjson
from cross_web import HTTPException
from graphql import GraphQLError, OperationType, get_operation_ast, parse
from starlette.applications import Starlette
from starlette.middleware.cors import CORSMiddleware
from starlette.middleware.gzip import GZipMiddleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect
from strawberry.asgi import ASGIWebSocketAdapter, GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http.exceptions import WebSocketDisconnected
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import (
    BaseGraphQLTransportWSHandler,
)
from strawberry.subscriptions.protocols.graphql_transport_ws.types import SubscribeMessage
from strawberry.types.unset import UNSET, UnsetType

from bookwell.admin import build_admin
from bookwell.context import Context
from bookwell.core.config import Settings
from bookwell.core.db import Database, connect, secret_key
from bookwell.core.pg_listen import Listener
from bookwell.core.rate_limits import build_rate_limiter
from bookwell.graphiql import GraphiQLPage
from bookwell.graphql_http import (
    VARY,
    SubResponse,
    asks_for_the_ide,
    cache_control,
    check_operation_name,
    content_type,
    error_body,
    prefers_graphql_response,
    shape_answer,
    sub_response_for,
)
from bookwell.http.body_size import BodySizeLimit
from bookwell.http.calendar_feed import calendar_feed
from bookwell.http.cors import cors_options, origin_matcher
from bookwell.http.health import health, healthz, readyz
from bookwell.http.metrics import metrics_endpoint
from bookwell.http.reports import report_download
from bookwell.http.webhooks import stripe_webhook
from bookwell.limits.trusted_documents import DocumentIdRequests
from bookwell.observability.logging import route_library_loggers
from bookwell.observability.metrics import Metrics
from bookwell.observability.request_context import RequestContext
from bookwell.observability.setup import configure_observability
from bookwell.observability.tracing import instrument_app
from bookwell.schema.root import build_schema
from bookwell.services.accounts import accounts
from bookwell.services.accounts.principal import Principal
from bookwell.services.accounts.tokens import AccessTokens
from bookwell.services.payments import PaymentProvider, build_provider

log = logging.getLogger(__name__)


class Background(Protocol):
    """Work that runs beside the API for the app's lifetime (workers/background.py)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class Runtime:
    """What lives as long as the app: the database and its LISTEN connection, opened by the
    lifespan."""

    db: Database | None = None
    listener: Listener | None = None


class SubscriptionsOnly(BaseGraphQLTransportWSHandler):
    """A websocket serves subscriptions only. Queries and mutations go over HTTP, where each
    request gets its own context (fresh dataloaders) and the schema's error masking."""

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        payload = message.get("payload")
        kind = _operation_type(payload, self.view.settings.max_tokens)
        if self.connection_acknowledged and kind not in (None, OperationType.SUBSCRIPTION):
            error = GraphQLError(
                "Send queries and mutations over HTTP; websockets serve subscriptions."
            )
            await self.send_message(
                {"id": message["id"], "type": "error", "payload": [error.formatted]}
            )
            return
        await super().handle_subscribe(message)


def _operation_type(payload: object, max_tokens: int) -> OperationType | None:
    """None when unknown (bad syntax, no such operation): Strawberry answers those."""
    if not isinstance(payload, dict) or not isinstance(payload.get("query"), str):
        return None
    try:
        document = parse(payload["query"], no_location=True, max_tokens=max_tokens)
    except GraphQLError:
        return None
    name = payload.get("operationName")
    operation = get_operation_ast(document, name if isinstance(name, str) else None)
    return operation.operation if operation else None


class TextFrames(ASGIWebSocketAdapter):
    """graphql-transport-ws messages are text frames: every standard client (graphql-ws,
    Apollo, urql, GraphiQL, Python gql) refuses binary ones, which Strawberry sends when
    encode_json returns bytes (ours does, for HTTP's sake)."""

    async def send_json(self, message) -> None:  # type: ignore[no-untyped-def]
        try:
            await self.ws.send_text(orjson.dumps(message).decode())
        except WebSocketDisconnect as exc:
            raise WebSocketDisconnected from exc


class BookwellGraphQL(DocumentIdRequests, GraphQL):
    graphql_transport_ws_handler_class = SubscriptionsOnly
    websocket_adapter_class = TextFrames  # type: ignore[assignment]

    def __init__(
        self,
        settings: Settings,
        runtime: Runtime,
        access_tokens: AccessTokens,
        payments: PaymentProvider,
    ):
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.graphiql else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
        )
        self.settings = settings
        self.runtime = runtime
        self.access_tokens = access_tokens
        self.payments = payments
        self.rate_limiter = build_rate_limiter(settings.redis_url, settings.queue_namespace)
        self.origin_allowed = origin_matcher(settings)
        self.graphiql_page = GraphiQLPage(settings)

    async def render_graphql_ide(self, request: Request) -> Response:
        """GET /graphql in a browser: GraphiQL from files Bookwell serves itself
        (bookwell/graphiql), not from a CDN. Strawberry answers 404 when settings.graphiql
        is off."""
        return await self.graphiql_page.page(request)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Authenticate before GraphQL sees the request: a bad token is HTTP 401, whatever
        the query asks."""
        if scope["type"] == "http":
            # RequestContext (observability) made it, and bound it to the log context.
            request_id = scope.get("state", {}).get("request_id") or uuid.uuid4().hex
            scope.setdefault("state", {})["request_id"] = request_id
            header = Request(scope).headers.get("authorization")
            if header is not None:
                principal = await self.authenticate(header)
                if principal is None:
                    accept = Request(scope).headers.get("accept")
                    response = _invalid_token(request_id, prefers_graphql_response(accept))
                    await response(scope, receive, send)
                    return
                scope["state"]["principal"] = principal
        # A client that went away before its request was read has nobody left to answer.
        try:
            with contextlib.suppress(ClientDisconnect):
                await super().__call__(scope, receive, send)
        finally:
            if scope["type"] == "http" and (context := scope["state"].pop("context", None)):
                context.release()

    def encode_json(self, data: object) -> bytes:
        return orjson.dumps(data)

    async def parse_http_body(self, request):  # type: ignore[no-untyped-def]
        data = await super().parse_http_body(request)
        for operation in data if isinstance(data, list) else [data]:
            check_operation_name(operation.operation_name)
        return data

    def is_websocket_origin_allowed(self, request, origin: str) -> bool:  # type: ignore[no-untyped-def]
        """Same-origin pages always may (Strawberry checks that first); other origins as
        CORS allows them (http/cors.py)."""
        return self.origin_allowed(origin)

    def should_render_graphql_ide(self, request) -> bool:  # type: ignore[no-untyped-def]
        accept = request.headers.get("accept", "")
        return asks_for_the_ide(request.method, request.query_params, accept)

    async def get_sub_response(self, request: Request) -> Response:
        return sub_response_for(request)

    async def run(self, request, context=UNSET, root_value=UNSET):  # type: ignore[no-untyped-def]
        """A request refused before GraphQL work (not JSON, no query, a mutation over GET)
        answers JSON with its status, not Strawberry's plain text."""
        try:
            return await super().run(request, context, root_value)
        except HTTPException as refused:
            wants = prefers_graphql_response(request.headers.get("accept"))
            status, headers = refused.status_code, {"Cache-Control": "no-store"}
            if isinstance(refused.__cause__, InvalidOperationTypeError):
                status, headers["Allow"] = 405, "POST"  # a mutation over GET
            elif status == 405:
                headers["Allow"] = "GET, POST"
            return Response(
                orjson.dumps(error_body(refused.reason)),
                status_code=status,
                media_type=content_type(wants),
                headers=headers,
            )

    def create_response(self, response_data, sub_response: Response) -> Response:  # type: ignore[no-untyped-def, override]
        """One operation's answer in the format the client accepts (graphql_http.py)."""
        assert isinstance(sub_response, SubResponse)
        if isinstance(response_data, list):  # batches are refused before this
            raise HTTPException(400, "Batched operations are not supported.")
        body, status = shape_answer(response_data, sub_response)
        response = Response(
            orjson.dumps(body),
            status_code=status,
            media_type=content_type(sub_response.graphql_response),
        )
        response.headers.raw.extend(sub_response.headers.raw)
        response.headers.setdefault(
            "Cache-Control",
            cache_control(sub_response, body, status, self.settings.public_cache_seconds),
        )
        response.headers.setdefault("Vary", VARY)
        if sub_response.background:
            response.background = sub_response.background
        return response

    def decode_json(self, data: str | bytes) -> object:
        decoded = super().decode_json(data)
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, "The request body must be a JSON object.")
        return decoded

    async def authenticate(self, header: str) -> Principal | None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return None
        assert self.runtime.db is not None
        async with self.runtime.db.read() as session:
            return await accounts.authenticate(
                session=session, token=token.strip(), access_tokens=self.access_tokens
            )

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """A websocket authenticates in its connection_init payload, as HTTP does in its
        header: {"Authorization": "Bearer <token>"}. No token: anonymous; a bad one: 4403."""
        params = context.connection_params or {}
        header = params.get("Authorization", params.get("authorization"))
        if header is None:
            return UNSET
        principal = await self.authenticate(header) if isinstance(header, str) else None
        if principal is None:
            raise ConnectionRejectionError()
        context.sign_in(principal)
        return UNSET

    async def get_context(self, request: Request | WebSocket, response: Response) -> Context:
        assert self.runtime.db is not None
        request_id = getattr(request.state, "request_id", uuid.uuid4().hex)
        if isinstance(response, Response):
            response.headers["X-Request-ID"] = request_id
        context = Context(
            db=self.runtime.db,
            settings=self.settings,
            access_tokens=self.access_tokens,
            principal=getattr(request.state, "principal", None),
            request_id=request_id,
            request=request if isinstance(request, Request) else None,
            response=response if isinstance(response, Response) else None,
            payments=self.payments,
            listener=self.runtime.listener,
            rate_limiter=self.rate_limiter,
        )
        if isinstance(request, Request):
            request.state.context = context  # released in __call__, once answered
        return context


def _invalid_token(request_id: str, graphql_response: bool) -> Response:
    body: dict[str, object] = {
        "errors": [
            {
                "message": "The Authorization header does not hold a valid token.",
                "extensions": {"code": "UNAUTHENTICATED"},
            }
        ],
    }
    if not graphql_response:
        body = {"data": None, **body}
    headers = {
        "WWW-Authenticate": 'Bearer error="invalid_token"',
        "X-Request-ID": request_id,
        "Cache-Control": "no-store",
    }
    return Response(
        orjson.dumps(body),
        status_code=401,
        media_type=content_type(graphql_response),
        headers=headers,
    )


def create_app(
    settings: Settings | None = None,
    *,
    database_url: str | None = None,
    payments: PaymentProvider | None = None,
    background: Background | None = None,
) -> Starlette:
    """The ASGI app. `database_url` overrides settings (the CLI passes the embedded server's);
    `payments` overrides the provider the settings choose (tests); `background` starts and
    stops with the app (embedded mode: relay, worker and scheduler in-process)."""
    settings = settings or Settings()
    configure_observability(settings)  # before the schema: Sentry hooks into Strawberry
    url = database_url or settings.database_url
    if url is None:
        raise RuntimeError("No database: set DATABASE_URL, or start with `bookwell serve`.")
    runtime = Runtime()
    payments = payments or build_provider(settings)
    access_tokens = AccessTokens(
        key=secret_key(settings),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=timedelta(seconds=settings.access_token_ttl_seconds),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        route_library_loggers()  # uvicorn configures its loggers after create_app
        runtime.db = connect(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            statement_cache_size=settings.db_statement_cache_size,
        )
        # Directly to PostgreSQL: LISTEN through PgBouncer's transaction pooling hears nothing.
        runtime.listener = Listener(settings.direct_url(url))
        # Whatever started is stopped, in reverse, even when a later start fails.
        async with contextlib.AsyncExitStack() as started:
            started.push_async_callback(runtime.db.dispose)
            started.push_async_callback(graphql.rate_limiter.close)
            await runtime.listener.start()
            started.push_async_callback(runtime.listener.stop)
            if background is not None:
                started.push_async_callback(background.stop)
                await background.start()
            # Everything made so far lives as long as the process; move it out of the
            # collector's sight, or every full collection walks it (bench/README.md: 70-90 ms
            # pauses, the p99).
            gc.collect()
            gc.freeze()
            yield

    async def home(request: Request) -> RedirectResponse:
        return RedirectResponse("/graphql")

    graphql = BookwellGraphQL(settings, runtime, access_tokens, payments)
    metrics = Metrics()
    routes = [
        Route("/", home),
        Route("/health", health(runtime)),
        Route("/healthz", healthz),
        Route("/readyz", readyz(runtime, settings.redis_url)),
        Route(
            "/metrics",
            metrics_endpoint(metrics, runtime, settings.redis_url, settings.queue_namespace),
        ),
        Route("/graphql", graphql),
        WebSocketRoute("/graphql", graphql),
        # GraphiQL's pinned files and its page script: immutable, under versioned names.
        Route("/graphiql/{path:path}", graphql.graphiql_page.asset, methods=["GET"]),
        Route("/webhooks/stripe", stripe_webhook(runtime, payments), methods=["POST"]),
        Route(
            "/listings/{listing_id}/calendar.ics",
            calendar_feed(runtime, access_tokens.key),
            methods=["GET"],
        ),
        # The same bearer-token check as the GraphQL view's.
        Route("/reports/{file}", report_download(runtime, graphql.authenticate), methods=["GET"]),
        # Staff UI (sqladmin); the database is the lifespan's, looked up per request.
        build_admin(lambda: runtime.db, settings, graphql.rate_limiter),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.runtime = runtime
    app.state.metrics = metrics  # fed per operation by observability/graphql.py
    app.add_middleware(GZipMiddleware, minimum_size=settings.gzip_min_bytes)
    app.add_middleware(RequestContext)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes)
    if (cors := cors_options(settings)) is not None:
        # Outermost, so refusals (413, 401, 429) carry the headers a browser needs to read them.
        app.add_middleware(CORSMiddleware, **cors)
    instrument_app(app, settings)  # OpenTelemetry, when an OTLP endpoint is set
    return app
