"""Fixtures for the observability tests that run the queue."""

import pytest

from tests.workers.queue_helpers import queue_settings


@pytest.fixture
def queue_config(settings, redis_server_url, queue_namespace, smtp_sink):
    return queue_settings(
        settings,
        redis_url=redis_server_url,
        namespace=queue_namespace,
        smtp_url=smtp_sink.url,
        log_format="json",
    )
