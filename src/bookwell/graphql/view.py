"""The GraphQL view at /graphql: the request's context, GraphQL over HTTP as clients expect
it (over_http.py), GraphiQL, and the websocket (websocket.py). Who is asking was settled
before the view runs (the app's authentication middleware, http/authentication.py): the
view reads the principal from the scope, and answers the middleware's refusals in GraphQL's
error shape (`refuse_token`)."""

import contextlib
import json
from collections.abc import Callable
from typing import Protocol

import orjson
from cross_web import HTTPException
from graphql import ExecutionResult as GraphQLExecutionResult
from starlette.authentication import AuthenticationError
from starlette.requests import ClientDisconnect, HTTPConnection, Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.schema.exceptions import InvalidOperationTypeError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult, SubscriptionExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from bookwell.core.config import Settings
from bookwell.core.db import Database
from bookwell.core.rate_limits import build_rate_limiter
from bookwell.graphql.context import Context
from bookwell.graphql.graphiql import GraphiQLPage
from bookwell.graphql.json_body import is_json, plain_request, read_body
from bookwell.graphql.limits.trusted_documents import DocumentIdRequests
from bookwell.graphql.over_http import (
    VARY_HEADER,
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
from bookwell.graphql.schema import build_schema
from bookwell.graphql.websocket import SubscriptionsOnly, TextFrames
from bookwell.services.accounts.principal import Principal
from bookwell.services.accounts.tokens import AccessTokens
from bookwell.services.payments import PaymentProvider

RESULTS = (ExecutionResult, GraphQLExecutionResult)  # never a subscription's stream

MULTIPART_NEEDS_TOKEN = (
    "A multipart request (a file upload) needs an Authorization: Bearer header: uploads "
    "are for signed-in hosts, and the header's CORS preflight keeps other sites out."
)


def is_multipart(content_type: str | None) -> bool:
    return (content_type or "").split(";")[0].strip().lower() == "multipart/form-data"


class Authentication(Protocol):
    """The app's bearer-token check (http/authentication.py: BearerTokens)."""

    async def principal(self, db: Database, header: str) -> Principal | None: ...

    def principal_of(self, conn: HTTPConnection) -> Principal | None: ...


class BookwellGraphQL(DocumentIdRequests, GraphQL[Context, None]):
    graphql_transport_ws_handler_class = SubscriptionsOnly
    websocket_adapter_class = TextFrames  # type: ignore[assignment]

    def __init__(
        self,
        settings: Settings,
        authentication: Authentication,
        access_tokens: AccessTokens,
        payments: PaymentProvider,
        origin_allowed: Callable[[str], bool],
    ):
        super().__init__(
            build_schema(settings),
            graphql_ide="graphiql" if settings.graphiql else None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            # Photo uploads (graphql/listings/photos.py); parse_http_body keeps them CSRF-safe.
            multipart_uploads_enabled=True,
        )
        self.settings = settings
        self.authentication = authentication
        self.access_tokens = access_tokens
        self.payments = payments
        self.rate_limiter = build_rate_limiter(settings.redis_url, settings.queue_namespace)
        self.origin_allowed = origin_allowed
        self.graphiql_page = GraphiQLPage(settings)

    async def render_graphql_ide(self, request: Request) -> Response:
        """GET /graphql in a browser: GraphiQL from files Bookwell serves itself
        (graphql/graphiql/), not from a CDN. Strawberry answers 404 when settings.graphiql
        is off."""
        return await self.graphiql_page.page(request)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
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
        # A page on any site can POST multipart/form-data without a CORS preflight: only a
        # request carrying Authorization (which needs one) may upload.
        if is_multipart(request.content_type) and not request.headers.get("authorization"):
            raise HTTPException(400, MULTIPART_NEEDS_TOKEN)
        data = None
        # Only while no HTTP stream transport (graphql-sse) is enabled: none reads the body.
        if (
            request.method == "POST"
            and not self._stream_transport_map
            and is_json(request.content_type or "")
        ):
            data = plain_request(self.parse_json(await request.get_body()))
        if data is None:
            data = await super().parse_http_body(request)
        for operation in data if isinstance(data, list) else [data]:
            check_operation_name(operation.operation_name)
        return data

    def is_websocket_origin_allowed(self, request, origin: str) -> bool:  # type: ignore[no-untyped-def]
        """Same-origin pages always may (Strawberry checks that first); other origins as
        CORS allows them (http/cors.py; the app passes the matcher in)."""
        return self.origin_allowed(origin)

    def should_render_graphql_ide(self, request) -> bool:  # type: ignore[no-untyped-def]
        if request.method != "GET":  # before the query string's parsing
            return False
        accept = request.headers.get("accept", "")
        return asks_for_the_ide(request.method, request.query_params, accept)

    async def get_sub_response(self, request: Request | WebSocket) -> Response:
        if not isinstance(request, Request):  # Strawberry asks for HTTP requests only
            raise TypeError("a websocket has no HTTP sub-response")
        return sub_response_for(request)

    async def run(self, request, context=UNSET, root_value=UNSET):  # type: ignore[no-untyped-def]
        """A request refused before GraphQL work (not JSON, no query, a mutation over GET)
        answers JSON with its status, not Strawberry's plain text."""
        try:
            if context is UNSET and root_value is UNSET and self._plain_post(request):
                return await self._run_post(request)
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

    def _plain_post(self, request: object) -> bool:
        """A JSON POST while no batching, stream transport or incremental delivery is
        enabled: Strawberry's run() then does what _run_post does, and more checks that
        cannot apply (websocket, GraphiQL, batches, streams; issue 18: a tenth of the
        request's own cost outside execution)."""
        config = self.schema.config
        return (
            isinstance(request, Request)
            and request.method == "POST"
            and config.batching_config is None
            and not config.enable_experimental_incremental_execution
            and not self._stream_transport_map
            and is_json(request.headers.get("content-type") or "")
        )

    async def _run_post(self, request: Request) -> Response:
        """Strawberry's run() (strawberry/http/async_base_view.py) for a _plain_post."""
        adapter = self.request_adapter_class(request)
        sub_response = await self.get_sub_response(request)
        context = await self.get_context(request, response=sub_response)
        await read_body(request)  # parse_http_body's request.get_body() then finds it read
        try:
            request_data = await self.parse_http_body(adapter)
        except json.JSONDecodeError as e:
            raise HTTPException(400, "Unable to parse request body as JSON") from e
        except KeyError as e:
            raise HTTPException(400, "File(s) missing in form data") from e
        result = await self.execute_operation(
            request=request,
            request_adapter=adapter,
            request_data=request_data,
            context=context,
            root_value=None,  # the view has no root value (get_root_value)
            sub_response=sub_response,
        )
        # Strawberry's test first is a Protocol's isinstance, which costs; results are not.
        if not isinstance(result, RESULTS) and isinstance(result, SubscriptionExecutionResult):
            return await self._create_streaming_response(
                request=request,
                result=result,  # type: ignore[arg-type]
                protocol=request_data.protocol,
                sub_response=sub_response,
            )
        assert not isinstance(result, list)  # batching is off (_plain_post)
        response_data = await self.process_result(request=request, result=result)
        if result.errors:
            self._handle_errors(result.errors, response_data)
        return self.create_response(response_data=response_data, sub_response=sub_response)

    def create_response(self, response_data, sub_response: Response) -> Response:  # type: ignore[no-untyped-def, override]
        """One operation's answer in the format the client accepts (graphql/over_http.py)."""
        assert isinstance(sub_response, SubResponse)
        if isinstance(response_data, list):  # batches are refused before this
            raise HTTPException(400, "Batched operations are not supported.")
        body, status = shape_answer(response_data, sub_response)
        response = Response(
            orjson.dumps(body),
            status_code=status,
            media_type=content_type(sub_response.graphql_response),
        )
        raw = response.raw_headers
        raw.extend(sub_response.raw_headers)
        set_by_resolvers = {name for name, _ in sub_response.raw_headers}
        if b"cache-control" not in set_by_resolvers:
            max_age = self.settings.public_cache_seconds
            value = cache_control(sub_response, body, status, max_age)
            raw.append((b"cache-control", value.encode("latin-1")))
        if b"vary" not in set_by_resolvers:
            raw.append((b"vary", VARY_HEADER))
        if sub_response.background:
            response.background = sub_response.background
        return response

    def decode_json(self, data: str | bytes) -> object:
        """Every JSON the view reads (POST bodies, GET's `variables` and `extensions`,
        websocket messages) goes through orjson: text that is not UTF-8, a lone UTF-16
        surrogate (valid JSON, not Unicode: no encoder or database takes it) and nesting
        past 1024 levels are a JSONDecodeError (HTTP 400, websocket close 4400), not a
        RecursionError or a failure deep in a resolver."""
        decoded = orjson.loads(data)
        if not isinstance(decoded, dict | list):
            raise HTTPException(400, "The request body must be a JSON object.")
        return decoded

    def parse_json(self, data: str | bytes) -> object:
        try:
            return self.decode_json(data)
        except orjson.JSONDecodeError as error:
            reason = str(error).partition(":")[0]
            raise HTTPException(400, f"The request is not valid JSON ({reason}).") from None

    @staticmethod
    def refuse_token(conn: HTTPConnection, error: AuthenticationError) -> Response:
        """The authentication middleware's answer to a bad token on /graphql: HTTP 401 in
        GraphQL's error shape, whatever the query asks."""
        accept = conn.headers.get("accept")
        return _invalid_token(conn.state.request_id, prefers_graphql_response(accept))

    async def on_ws_connect(self, context: Context) -> UnsetType | dict[str, object] | None:
        """A websocket authenticates in its connection_init payload, as HTTP does in its
        header: {"Authorization": "Bearer <token>"}, checked as the header is. No token:
        whoever the upgrade request's header signed in (http/authentication.py), else
        anonymous; a bad one: 4403."""
        params = context.connection_params or {}
        header = params.get("Authorization", params.get("authorization"))
        if header is None:
            return UNSET
        principal = (
            await self.authentication.principal(context.db, header)
            if isinstance(header, str)
            else None
        )
        if principal is None:
            raise ConnectionRejectionError()
        context.sign_in(principal)
        return UNSET

    async def get_context(
        self, request: Request | WebSocket, response: Response | WebSocket
    ) -> Context:
        state = request.scope["state"]  # the lifespan's (app.py) and the request's own
        request_id = state["request_id"]  # observability/request_context.py made it
        if isinstance(response, Response):  # a fresh SubResponse: nothing to replace
            response.raw_headers.append((b"x-request-id", request_id.encode("latin-1")))
        context = Context(
            db=state["db"],
            settings=self.settings,
            access_tokens=self.access_tokens,
            principal=self.authentication.principal_of(request),
            request_id=request_id,
            request=request if isinstance(request, Request) else None,
            response=response if isinstance(response, Response) else None,
            payments=self.payments,
            listener=state["listener"],
            rate_limiter=self.rate_limiter,
        )
        if isinstance(request, Request):
            state["context"] = context  # released in __call__, once answered
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
