"""Deployment files, checked without Docker or Kubernetes: the Dockerfile's stages, user and
health check; docker-compose's order and health checks; the manifests in deploy/k8s; every
setting they name is one Bookwell reads. And the PgBouncer setting, against real PostgreSQL:
with `statement_cache_size=0` no named prepared statement outlives a statement."""

from collections import Counter
from pathlib import Path

import httpx
import pytest
import yaml
from sqlalchemy import text

from bookwell.app import create_app
from bookwell.cli import main
from bookwell.core.config import Settings
from bookwell.core.db import Database, connect
from tests.support.lifespan import started

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
# What Settings reads besides BOOKWELL_<field> (its validation aliases).
UNPREFIXED = {"DATABASE_URL", "REDIS_URL", "SMTP_URL"}


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile as stages of (INSTRUCTION, arguments), continuation lines joined."""
    logical, pending = [], ""
    for line in (ROOT / "Dockerfile").read_text().splitlines():
        stripped = line.strip()
        if not pending and (not stripped or stripped.startswith("#")):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    stages: list[list[tuple[str, str]]] = []
    for entry in logical:
        instruction, _, arguments = entry.partition(" ")
        if instruction.upper() == "FROM":
            stages.append([])
        if stages:
            stages[-1].append((instruction.upper(), arguments.strip()))
    return stages


def k8s_documents() -> list[dict]:
    documents = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        documents += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return documents


def k8s_object(kind: str, name: str) -> dict:
    [found] = [d for d in k8s_documents() if d["kind"] == kind and d["metadata"]["name"] == name]
    return found


def assert_cli_accepts(command: list[str]) -> None:
    """`command` is `bookwell <subcommand> [options]` that click parses (without running it)."""
    assert command[0] == "bookwell", command
    name, *arguments = command[1:]
    assert name in main.commands, command
    main.commands[name].make_context(name, list(arguments))


def assert_known_settings(names) -> None:
    fields = set(Settings.model_fields)
    for name in names:
        if name in UNPREFIXED:
            continue
        assert name.startswith("BOOKWELL_"), name
        assert name.removeprefix("BOOKWELL_").lower() in fields, f"{name} is no setting"


# --- Dockerfile -------------------------------------------------------------------------


def test_dockerfile_builds_with_uv_and_runs_without_it():
    builder, runtime = dockerfile_stages()
    assert builder[0] == ("FROM", "python:3.12-slim AS builder")
    assert any(i == "RUN" and "uv sync --frozen --no-dev" in a for i, a in builder)
    assert runtime[0][1].startswith("python:3.12-slim")
    runtime_text = " ".join(a for _, a in runtime)
    assert "COPY --from=builder /app/.venv" in " ".join(f"{i} {a}" for i, a in runtime)
    assert "uv " not in runtime_text and "pip install" not in runtime_text


def test_dockerfile_runs_the_api_as_a_non_root_user_with_a_health_check():
    runtime = dockerfile_stages()[-1]
    users = [a for i, a in runtime if i == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}
    env = " ".join(a for i, a in runtime if i == "ENV")
    assert "BOOKWELL_HOST=0.0.0.0" in env and "BOOKWELL_ENVIRONMENT=production" in env
    assert ("EXPOSE", "8000") in runtime
    [healthcheck] = [a for i, a in runtime if i == "HEALTHCHECK"]
    probe = yaml.safe_load(healthcheck.split("CMD", 1)[1].strip())  # a JSON array
    assert probe[:2] == ["python", "-c"] and "/health" in probe[2]
    compile(probe[2], "HEALTHCHECK", "exec")
    [cmd] = [a for i, a in runtime if i == "CMD"]
    command = yaml.safe_load(cmd)
    assert command == ["bookwell", "serve", "--no-background"]
    assert_cli_accepts(command)


def test_dockerignore_keeps_out_local_state_but_not_what_the_image_copies():
    ignored = {
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    }
    assert {".venv", ".bookwell", ".git", "tests", "bench"} <= ignored
    copied = set()
    for stage in dockerfile_stages():
        for instruction, arguments in stage:
            if instruction == "COPY" and not arguments.startswith("--from"):
                copied.update(arguments.split()[:-1])
    assert copied == {
        "pyproject.toml",
        "uv.lock",
        "README.md",
        "src",
        "migrations",
        "alembic.ini",
        "schema.graphql",
    }
    assert not copied & ignored


# --- docker-compose.yml -----------------------------------------------------------------


def compose_services() -> dict[str, dict]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]


def test_compose_starts_the_app_after_a_one_shot_migration():
    services = compose_services()
    assert {"postgres", "redis", "migrate", "api", "worker", "scheduler"} <= services.keys()
    assert services["migrate"]["command"] == ["bookwell", "migrate"]
    assert services["migrate"]["restart"] == "no"
    assert services["migrate"]["depends_on"]["postgres"] == {"condition": "service_healthy"}
    for name in ("api", "worker", "scheduler"):
        depends = services[name]["depends_on"]
        assert depends["migrate"] == {"condition": "service_completed_successfully"}, name
        assert depends["postgres"] == {"condition": "service_healthy"}, name
        assert depends["redis"] == {"condition": "service_healthy"}, name
    for name in ("migrate", "api", "worker", "scheduler"):
        assert_cli_accepts(services[name]["command"])
        assert_known_settings(services[name]["environment"])
    assert services["api"]["environment"]["BOOKWELL_SEED_DEMO_DATA"] == "true"


def test_compose_health_checks():
    services = compose_services()
    for name in ("postgres", "redis", "mailpit", "api"):
        check = services[name]["healthcheck"]
        assert check["test"][0] in {"CMD", "CMD-SHELL"} and not check.get("disable"), name
    assert "/health" in services["api"]["healthcheck"]["test"][-1]
    # Without an HTTP port, the image's check (the API's /health) would always fail.
    for name in ("migrate", "worker", "scheduler"):
        assert services[name]["healthcheck"] == {"disable": True}, name


# --- deploy/k8s -------------------------------------------------------------------------


def test_every_manifest_parses_and_the_kustomization_lists_them_all():
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml"}
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    assert set(kustomization["resources"]) == files
    documents = k8s_documents()
    for document in documents:
        assert document["apiVersion"] and document["metadata"]["name"], document
        assert "namespace" not in document["metadata"], document["metadata"]["name"]
    kinds = Counter(d["kind"] for d in documents)
    assert kinds == {
        "Deployment": 3,
        "Job": 1,
        "HorizontalPodAutoscaler": 1,
        "PodDisruptionBudget": 1,
        "ConfigMap": 1,
        "Secret": 1,
        "Service": 1,
    }


def pod_spec(workload: dict) -> dict:
    return workload["spec"]["template"]["spec"]


def test_workloads_run_the_image_with_the_config_and_secret():
    config = k8s_object("ConfigMap", "bookwell-config")
    secret = k8s_object("Secret", "bookwell-secrets")
    assert_known_settings(config["data"])
    assert_known_settings(secret["stringData"])
    expected = {
        ("Deployment", "bookwell-api"): ["bookwell", "serve", "--no-background"],
        ("Deployment", "bookwell-worker"): ["bookwell", "worker"],
        ("Deployment", "bookwell-scheduler"): ["bookwell", "scheduler"],
        ("Job", "bookwell-migrate"): ["bookwell", "migrate"],
    }
    for (kind, name), command in expected.items():
        workload = k8s_object(kind, name)
        spec = pod_spec(workload)
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        [container] = spec["containers"]
        assert container["command"] == command, name
        assert_cli_accepts(command)
        assert container["resources"]["requests"]["cpu"], name
        assert container["resources"]["limits"]["memory"], name
        sources = {next(iter(s.values()))["name"] for s in container["envFrom"]}
        assert sources == {"bookwell-config", "bookwell-secrets"}, name
        if kind == "Deployment":
            labels = workload["spec"]["template"]["metadata"]["labels"]
            assert workload["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert pod_spec(k8s_object("Job", "bookwell-migrate"))["restartPolicy"] == "Never"
    assert k8s_object("Deployment", "bookwell-scheduler")["spec"]["replicas"] == 2


def test_the_api_is_probed_scaled_kept_available_and_stopped_gracefully():
    api = k8s_object("Deployment", "bookwell-api")
    labels = api["spec"]["selector"]["matchLabels"]
    [container] = pod_spec(api)["containers"]
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    port_names = {port["name"] for port in container["ports"]}
    for probe in ("readinessProbe", "livenessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["port"] in port_names, probe
    pre_stop = container["lifecycle"]["preStop"]["exec"]["command"]
    assert pre_stop[0] == "sleep"
    assert pod_spec(api)["terminationGracePeriodSeconds"] > int(pre_stop[1]) + 20

    service = k8s_object("Service", "bookwell-api")
    assert service["spec"]["selector"] == labels
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= port_names

    hpa = k8s_object("HorizontalPodAutoscaler", "bookwell-api")
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": "bookwell-api",
    }
    assert hpa["spec"]["minReplicas"] >= 2
    [metric] = hpa["spec"]["metrics"]
    assert metric["resource"]["name"] == "cpu"

    pdb = k8s_object("PodDisruptionBudget", "bookwell-api")
    assert pdb["spec"]["selector"]["matchLabels"] == labels
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]


# --- PgBouncer: the prepared statement cache (real PostgreSQL) --------------------------

NAMED_STATEMENTS = text("SELECT count(*) FROM pg_prepared_statements")


async def named_statements_after_some_work(db: Database) -> int:
    """Run a few statements (twice, so a cache would hit) on one connection; count the named
    prepared statements the server then holds for that session."""
    async with db.transaction() as session:
        for _ in range(2):
            await session.execute(text("SELECT count(*) FROM listings WHERE units > :n"), {"n": 0})
            await session.execute(text("SELECT now()"))
        return (await session.execute(NAMED_STATEMENTS)).scalar_one()


async def asyncpg_cache_size(db: Database) -> int:
    async with db.engine.connect() as connection:
        raw = await connection.get_raw_connection()
        # asyncpg has no public getter; its cache object reports the size it was given.
        return raw.driver_connection._stmt_cache.get_max_size()


async def test_statement_cache_off_leaves_no_named_statements(database_url: str):
    db = connect(database_url, pool_size=1, max_overflow=0, statement_cache_size=0)
    try:
        assert await asyncpg_cache_size(db) == 0
        async with db.engine.connect() as connection:
            adapter = (await connection.get_raw_connection()).dbapi_connection
            assert adapter._prepared_statement_cache is None  # SQLAlchemy's own cache
        assert await named_statements_after_some_work(db) == 0
        async with db.read() as session:  # autocommit reads, as searches run
            assert (await session.execute(NAMED_STATEMENTS)).scalar_one() == 0
    finally:
        await db.dispose()


async def test_statement_cache_on_by_default_keeps_named_statements(database_url: str):
    db = connect(database_url, pool_size=1, max_overflow=0)
    try:
        assert await asyncpg_cache_size(db) == 100
        assert await named_statements_after_some_work(db) > 0
    finally:
        await db.dispose()


def test_statement_cache_size_is_a_setting(monkeypatch: pytest.MonkeyPatch):
    assert Settings().db_statement_cache_size == 100
    monkeypatch.setenv("BOOKWELL_DB_STATEMENT_CACHE_SIZE", "0")
    assert Settings().db_statement_cache_size == 0


async def test_the_app_uses_the_setting(settings: Settings):
    app = create_app(settings.model_copy(update={"db_statement_cache_size": 0}))
    async with started(app) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            answer = await http.post("/graphql", json={"query": "{ __typename }"})
            assert answer.status_code == 200
            assert (await http.get("/health")).status_code == 200
        db = app.db
        assert await asyncpg_cache_size(db) == 0
        assert await named_statements_after_some_work(db) == 0
