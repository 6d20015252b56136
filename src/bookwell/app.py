"""Composition root: settings -> database (lifespan) -> GraphQL view (graphql/view.py) and the
plain routes (http/) -> Starlette app with its middleware."""

import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Protocol

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import Route, WebSocketRoute
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from bookwell.admin import build_admin
from bookwell.core.config import Settings, check_secret_key
from bookwell.core.db import Timeouts, connect, probe_engine, secret_key
from bookwell.core.pg_listen import Listener
from bookwell.flows.listing_gate import install_listing_gate
from bookwell.graphql.over_http import prefers_graphql_response
from bookwell.graphql.view import BookwellGraphQL
from bookwell.http.authentication import BearerTokens, authentication
from bookwell.http.body_limits import BodyLimits
from bookwell.http.calendar_feed import calendar_feed, calendar_feed_refusal
from bookwell.http.cors import cors_options, origin_matcher
from bookwell.http.graphql_guard import GraphQLGuard, InFlight
from bookwell.http.gzip import GZip
from bookwell.http.health import details, health, healthz, readyz
from bookwell.http.metrics import metrics_endpoint, metrics_route_endpoint
from bookwell.http.photos import photo_files
from bookwell.http.reports import refuse_token, report_download, report_index
from bookwell.http.webhooks import stripe_webhook
from bookwell.observability.logging import route_library_loggers
from bookwell.observability.metrics import Metrics
from bookwell.observability.request_context import RequestContext
from bookwell.observability.setup import configure_observability
from bookwell.observability.tracing import instrument_app
from bookwell.services.accounts.tokens import AccessTokens
from bookwell.services.listings.terms_cache import start_following, stop_following
from bookwell.services.payments import PaymentProvider, build_provider
from bookwell.workers.broker import QUEUES

log = logging.getLogger(__name__)

# How long the lifespan's shutdown waits for /graphql requests still unwinding.
DRAIN_SECONDS = 5.0
# Allocations (net of frees) between young-generation collections; CPython's default is 700.
YOUNG_COLLECTION_THRESHOLD = 10_000


class Background(Protocol):
    """Work that runs beside the API for the app's lifetime (workers/background.py)."""

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


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
    check_secret_key(settings)  # again: settings copied with model_copy were not validated
    configure_observability(settings)  # before the schema: Sentry hooks into Strawberry
    url = database_url or settings.database_url
    if url is None:
        raise RuntimeError("No database: set DATABASE_URL, or start with `bookwell serve`.")
    payments = payments or build_provider(settings)
    access_tokens = AccessTokens(
        key=secret_key(settings),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
        ttl=timedelta(seconds=settings.access_token_ttl_seconds),
    )
    bearer = BearerTokens(access_tokens, cache_seconds=settings.token_cache_seconds)
    in_flight = InFlight()  # /graphql requests being served (http/graphql_guard.py)
    # Report links a browser follows may carry the token as ?access_token= (RFC 6750, 2.3).
    reports_bearer = BearerTokens(
        access_tokens, query_parameter=True, cache_seconds=settings.token_cache_seconds
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[dict[str, object]]:
        """Opens what lives as long as the app and yields it as the lifespan's state: the
        server copies it into every request's scope, where routes read `request.state.db`
        and `request.state.listener`."""
        route_library_loggers()  # uvicorn configures its loggers after create_app
        db = connect(
            url,
            pool_size=settings.db_pool_size,
            max_overflow=settings.db_max_overflow,
            statement_cache_size=settings.db_statement_cache_size,
            timeouts=Timeouts.of(settings),
        )
        probe = probe_engine(url, statement_cache_size=settings.db_statement_cache_size)
        # Directly to PostgreSQL: LISTEN through PgBouncer's transaction pooling hears nothing.
        listener = Listener(settings.direct_url(url))
        install_listing_gate(db, settings)  # what one listing may take from the pool
        # Whatever started is stopped, in reverse, even when a later start fails.
        async with contextlib.AsyncExitStack() as started:
            started.push_async_callback(db.dispose)
            started.push_async_callback(probe.dispose)
            # Before the pool closes: requests cancelled at the end of the shutdown grace
            # answer 503 and give their connections back (http/graphql_guard.py).
            started.push_async_callback(in_flight.drained, DRAIN_SECONDS)
            started.push_async_callback(graphql.rate_limiter.close)
            await listener.start()
            started.push_async_callback(listener.stop)
            # Cached listing terms are dropped when the database says they changed.
            started.push_async_callback(stop_following, await start_following(db, listener))
            if background is not None:
                started.push_async_callback(background.stop)
                await background.start()
            # Everything made so far lives as long as the process; move it out of the
            # collector's sight, or every full collection walks it (bench/README.md: 70-90 ms
            # pauses, the p99).
            gc.collect()
            gc.freeze()
            # Requests leave no cycles (docs/adr/0004-gc-freeze.md): the collector runs only
            # on their allocation peaks, finds nothing, and walks the caches each time.
            started.callback(gc.set_threshold, *gc.get_threshold())
            gc.set_threshold(YOUNG_COLLECTION_THRESHOLD, *gc.get_threshold()[1:])
            yield {"db": db, "listener": listener, "probe": probe}

    async def home(request: Request) -> RedirectResponse:
        return RedirectResponse("/graphql")

    graphql = BookwellGraphQL(
        settings, bearer, access_tokens, payments, origin_allowed=origin_matcher(settings)
    )
    metrics = Metrics()
    # Routes that take a bearer token go through one check (http/authentication.py); each
    # answers a bad token in its own shape.
    graphql_auth = [authentication(bearer, graphql.refuse_token)]
    # Outside the token check: its database lookup may fail too (http/graphql_guard.py).
    guard = Middleware(
        GraphQLGuard,
        graphql_response=prefers_graphql_response,
        max_in_flight=settings.max_in_flight,
        in_flight=in_flight,
    )
    routes = [
        # First: the router tries routes in order, and no other path overlaps /graphql.
        Route("/graphql", graphql, middleware=[guard, *graphql_auth]),
        WebSocketRoute("/graphql", graphql, middleware=graphql_auth),
        Route("/", home),
        Route("/health", health),
        Route("/healthz", healthz),
        Route("/readyz", readyz(settings.redis_url)),
        Route("/health/details", details(settings.redis_url)),
        # GraphiQL's pinned files and its page script: immutable, under versioned names.
        Route("/graphiql/{path:path}", graphql.graphiql_page.asset, methods=["GET"]),
        Route("/webhooks/stripe", stripe_webhook(payments), methods=["POST"]),
        # Its credential is the feed token in the URL; a bearer token is checked as anywhere.
        Route(
            "/listings/{listing_id}/calendar.ics",
            calendar_feed(access_tokens.key),
            methods=["GET"],
            middleware=[authentication(bearer, calendar_feed_refusal)],
        ),
        Route(
            "/reports/",
            report_index,
            methods=["GET"],
            middleware=[authentication(reports_bearer, refuse_token)],
        ),
        Route(
            "/reports/{file}",
            report_download,
            methods=["GET"],
            middleware=[authentication(reports_bearer, refuse_token)],
        ),
        # Listing photos' files (public, as listings are; http/photos.py).
        Route("/photos/{key:path}", photo_files(settings), methods=["GET", "HEAD"]),
        # Staff UI (sqladmin); the database is the lifespan's, read from each request.
        build_admin(settings, graphql.rate_limiter),
    ]
    scrape = metrics_route_endpoint(
        metrics_endpoint(metrics, settings.redis_url, settings.queue_namespace, QUEUES),
        settings.metrics_token.get_secret_value() if settings.metrics_token else None,
        production=settings.environment == "production",
    )
    if scrape is not None:
        routes.append(Route("/metrics", scrape))
    app = Starlette(routes=routes, lifespan=lifespan)
    app.state.metrics = metrics  # fed per operation by observability/graphql.py
    app.add_middleware(GZip, minimum_size=settings.gzip_min_bytes)
    app.add_middleware(RequestContext)
    app.add_middleware(
        BodyLimits, max_bytes=settings.max_body_bytes, seconds=settings.body_timeout_seconds
    )
    if (cors := cors_options(settings)) is not None:
        # Outermost, so refusals (413, 401, 429) carry the headers a browser needs to read them.
        app.add_middleware(CORSMiddleware, **cors)
    if settings.forwarded_allow_ips:
        # Outermost: everything inside (rate limits, logs, CORS) sees the client the trusted
        # proxy names. The only place forwarded headers are read (`serve` turns uvicorn's off).
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)
    instrument_app(app, settings)  # OpenTelemetry, when an OTLP endpoint is set
    return app
