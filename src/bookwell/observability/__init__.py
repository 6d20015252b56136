"""Logs, metrics and tracing: structlog JSON logs carrying the request id, Prometheus
metrics per app (served by http/metrics.py), Sentry and OpenTelemetry."""
