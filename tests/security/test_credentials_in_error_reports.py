"""Error reports leaked what the logs no longer do: Sentry scrubs headers and fields by
name, but a token in a report download's query string (`?access_token=`), the calendar
feed's `?token=`, or in an exception's message went out as written."""

import json

import sentry_sdk
from pydantic import SecretStr
from sentry_sdk.transport import Transport

from bookwell.observability.sentry import init_sentry

DSN = "https://public@sentry.example.invalid/1"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJob3N0In0.c2lnbmF0dXJlLXZhbHVl"


class Captured(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes: list[str] = []

    def capture_envelope(self, envelope) -> None:
        self.envelopes.append(envelope.serialize().decode())


def test_error_reports_carry_no_credentials(settings, monkeypatch):
    transport = Captured()
    real_init = sentry_sdk.init
    monkeypatch.setattr(
        sentry_sdk, "init", lambda **options: real_init(**options, transport=transport)
    )
    try:
        assert init_sentry(settings.model_copy(update={"sentry_dsn": SecretStr(DSN)}))
        sentry_sdk.capture_event(
            {
                "message": f"feed failed for /listings/1/calendar.ics?token={JWT}",
                "request": {
                    "url": "http://api.example/reports/occupancy.csv",
                    "query_string": f"access_token={JWT}&from=2026-01-01",
                    "headers": {"Authorization": "Bearer abcdefghijkl", "Accept": "text/csv"},
                },
                "extra": {"password": "hunter2hunter2", "note": "Basic dXNlcjpwYXNzd29yZA=="},
            }
        )
        sentry_sdk.flush()
    finally:
        sentry_sdk.get_client().close()
        real_init()  # no DSN: an inactive client, as before the test
    sent = "\n".join(transport.envelopes)
    assert "from=2026-01-01" in sent and "text/csv" in sent  # the event did go out
    for secret in (JWT, "abcdefghijkl", "hunter2hunter2", "dXNlcjpwYXNzd29yZA=="):
        assert secret not in sent
    assert json.dumps("[REDACTED]")[1:-1] in sent
