"""Prometheus metrics, one registry per app (two apps in a process, as in tests, never
mix). Counters and histograms are fed per GraphQL operation (observability/graphql.py);
gauges (database pool, outbox lag, queues) are read when Prometheus scrapes. With several
workers, a scrape shows all the workers' (observability/worker_metrics.py)."""

import re
import threading
from typing import Any, Final

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

from bookwell.observability.worker_metrics import shared_directory, summed_registry

# Operation names are the client's choice: only this many distinct ones get a label of
# their own; later ones, and names that are not plain identifiers, count as "other".
MAX_OPERATION_NAMES = 100
OPERATION_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# With several workers, of each gauge the value last set by any of them: the worker
# answering a scrape sets them (its own pool's, the outbox's, the queues') just before it
# reads the workers' files, so a scrape shows its readings. Not a `live*` mode: nothing to
# clean when a worker exits, whose readings are older than any made since.
SCRAPE_TIME: Final = "mostrecent"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self._names: set[str] = set()
        # (operation label, type, outcome) -> its two series: `.labels()` per request costs
        # more than the observation (issue 18). Bounded: labels are at most
        # MAX_OPERATION_NAMES + 2, types and outcomes a handful.
        self._operation_series: dict[tuple[str, str, str], tuple[Any, Any]] = {}
        self._lock = threading.Lock()
        registry = self.registry
        self.shared_directory = shared_directory()
        if self.shared_directory is None:
            # The standard process_* and python_* series (CPU, memory, garbage collections by
            # generation), as prometheus_client's default registry has them. Not with
            # several workers: they would be those of whichever worker answered.
            ProcessCollector(registry=registry)
            PlatformCollector(registry=registry)
            GCCollector(registry=registry)
        self.requests = Counter(
            "bookwell_graphql_requests",
            "GraphQL operations answered, by operation name, type and outcome "
            "(ok, user_errors, error).",
            ["operation", "type", "outcome"],
            registry=registry,
        )
        self.latency = Histogram(
            "bookwell_graphql_request_duration_seconds",
            "Time to answer a GraphQL operation.",
            ["operation"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.bookings = Counter(
            "bookwell_bookings",
            "Answers of createReservation and bookSlot: outcome is ok or the refusal's code.",
            ["mutation", "outcome"],
            registry=registry,
        )
        self.pool_checked_out = Gauge(
            "bookwell_db_pool_checked_out",
            "Database connections in use.",
            registry=registry,
            multiprocess_mode=SCRAPE_TIME,
        )
        self.pool_size = Gauge(
            "bookwell_db_pool_size",
            "Database pool size (without overflow).",
            registry=registry,
            multiprocess_mode=SCRAPE_TIME,
        )
        self.pool_overflow = Gauge(
            "bookwell_db_pool_overflow",
            "Connections open beyond the pool size.",
            registry=registry,
            multiprocess_mode=SCRAPE_TIME,
        )
        self.outbox_unrelayed = Gauge(
            "bookwell_outbox_unrelayed",
            "Outbox rows not yet relayed to the queue.",
            registry=registry,
            multiprocess_mode=SCRAPE_TIME,
        )
        self.outbox_lag = Gauge(
            "bookwell_outbox_lag_seconds",
            "Age of the oldest unrelayed outbox row (0 when none).",
            registry=registry,
            multiprocess_mode=SCRAPE_TIME,
        )
        self.queue_depth = Gauge(
            "bookwell_queue_depth",
            "Messages waiting (or delayed) in a queue.",
            ["queue"],
            registry=registry,
            multiprocess_mode=SCRAPE_TIME,
        )
        self.dead_letters = Gauge(
            "bookwell_queue_dead_letters",
            "Messages in a queue's dead-letter set.",
            ["queue"],
            registry=registry,
            multiprocess_mode=SCRAPE_TIME,
        )
        self.source_up = Gauge(
            "bookwell_metrics_source_up",
            "1 when the last scrape could read this source (database, redis), else 0.",
            ["source"],
            registry=registry,
            multiprocess_mode=SCRAPE_TIME,
        )

        # Issue 16: answers 503 SERVICE_UNAVAILABLE (core/errors.py), by reason.
        self.unavailable = Counter(
            "bookwell_service_unavailable",
            "Requests answered 503 SERVICE_UNAVAILABLE, by reason (pool_timeout, "
            "database_down, statement_timeout, lock_timeout, listing_busy, overloaded, "
            "shutting_down).",
            ["reason"],
            registry=registry,
        )

    def exposed(self) -> CollectorRegistry:
        """What /metrics shows: this app's registry, or the sum over all the workers."""
        if self.shared_directory is None:
            return self.registry
        return summed_registry(self.shared_directory)

    def observe_unavailable(self, reason: str) -> None:
        self.unavailable.labels(reason).inc()

    def operation_label(self, name: str | None) -> str:
        if not name:
            return "anonymous"
        if name in self._names:  # only ever added to, and each name matched OPERATION_NAME
            return name
        if not OPERATION_NAME.match(name):
            return "other"
        with self._lock:
            if name in self._names:
                return name
            if len(self._names) >= MAX_OPERATION_NAMES:
                return "other"
            self._names.add(name)
            return name

    def observe_operation(self, name: str | None, kind: str, outcome: str, seconds: float) -> None:
        key = (self.operation_label(name), kind, outcome)
        series = self._operation_series.get(key)
        if series is None:
            series = self.requests.labels(*key), self.latency.labels(key[0])
            self._operation_series[key] = series
        series[0].inc()
        series[1].observe(seconds)

    def observe_booking(self, mutation: str, outcome: str) -> None:
        self.bookings.labels(mutation, outcome).inc()
