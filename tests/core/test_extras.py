"""The default install runs without the optional extras (stripe, sentry, otel, admin): the
API answers, /admin says how to install it, and a setting that needs a missing extra fails
at start-up naming it. The extras are hidden from a child process's imports."""

import json
import subprocess
import sys
import textwrap

HIDE_EXTRAS = """
import importlib.abc, sys
HIDDEN = {"stripe", "sentry_sdk", "opentelemetry", "sqladmin"}

class HideExtras(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in HIDDEN:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, HideExtras())
"""

WITHOUT_EXTRAS = """
import json, os
from pydantic import SecretStr
from starlette.testclient import TestClient

from bookwell.app import create_app
from bookwell.core.config import Settings
from bookwell.observability.sentry import init_sentry
from bookwell.services.payments import build_provider

url = os.environ["DATABASE_URL"]
seen = {}
with TestClient(create_app(Settings(), database_url=url)) as client:
    answer = client.post("/graphql", json={"query": "{ __typename }"})
    seen["graphql"] = [answer.status_code, answer.json()]
    admin = client.get("/admin/")
    seen["admin"] = [admin.status_code, admin.text]
stripe = Settings(
    payment_provider="stripe",
    stripe_api_key=SecretStr("sk_test_x"),
    stripe_webhook_secret=SecretStr("whsec_x"),
)
for name, start in [
    ("stripe", lambda: build_provider(stripe)),
    ("sentry", lambda: init_sentry(Settings(sentry_dsn="https://k@example.invalid/1"))),
    ("otel", lambda: create_app(
        Settings(otel_exporter_otlp_endpoint="http://127.0.0.1:4318"), database_url=url
    )),
]:
    try:
        start()
        seen[name] = "started"
    except RuntimeError as error:
        seen[name] = str(error)
print(json.dumps(seen))
"""


def test_the_api_runs_without_the_optional_extras(database_url, tmp_path):
    script = HIDE_EXTRAS + textwrap.dedent(WITHOUT_EXTRAS)
    env = {"DATABASE_URL": database_url, "BOOKWELL_DATA_DIR": str(tmp_path), "PATH": ""}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["graphql"] == [200, {"data": {"__typename": "Query"}}]
    assert seen["admin"][0] == 404 and "bookwell[admin]" in seen["admin"][1]
    assert "bookwell[stripe]" in seen["stripe"]
    assert "bookwell[sentry]" in seen["sentry"]
    assert "bookwell[otel]" in seen["otel"]
