"""Metrics of `serve --workers N`, N > 1, through prometheus_client's multiprocess mode: the
parent gives the workers a directory in PROMETHEUS_MULTIPROC_DIR, each worker's metrics
write their values to files there, and a scrape reads them all, summing counters and
histograms over the live workers and the exited ones (a respawned worker's predecessor
still counts). Without the variable (one process, tests), each app keeps its own registry."""

import contextlib
import os
import tempfile
from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.multiprocess import MultiProcessCollector

# prometheus_client reads it when `prometheus_client.values` is first imported: it must be
# in a process's environment before then (the workers get it at spawn).
MULTIPROC_DIR = "PROMETHEUS_MULTIPROC_DIR"


def shared_directory() -> str | None:
    """The directory this process's metrics write to, if in multiprocess mode."""
    return os.environ.get(MULTIPROC_DIR) or None


def summed_registry(directory: str) -> CollectorRegistry:
    """A registry of all the workers' metrics, read anew for each scrape."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=directory)
    return registry


@contextlib.contextmanager
def workers_directory() -> Iterator[str]:
    """For the parent of the workers: a fresh private directory in PROMETHEUS_MULTIPROC_DIR
    (for processes started inside the block), removed with its files at the end."""
    with tempfile.TemporaryDirectory(prefix="bookwell-metrics-") as directory:
        os.environ[MULTIPROC_DIR] = directory
        try:
            yield directory
        finally:
            del os.environ[MULTIPROC_DIR]
