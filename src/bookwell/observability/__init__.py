"""Logs, metrics and probes: structlog JSON logs carrying the request id, Prometheus
metrics per app, and the /healthz and /readyz probes."""
