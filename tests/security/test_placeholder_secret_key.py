"""Attack: production running with the deploy files' placeholder BOOKWELL_SECRET_KEY
(`CHANGE-ME`): anyone who read the repository signs a JWT for any user. Production refuses
to start with a placeholder or short key, and says why in one line."""

import secrets
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from pydantic import ValidationError

from bookwell.app import create_app
from bookwell.cli import main
from bookwell.core.config import Settings
from bookwell.services.accounts.tokens import AccessTokens

ROOT = Path(__file__).resolve().parents[2]


def _deploy_keys() -> list[str]:
    secret = yaml.safe_load((ROOT / "deploy/k8s/secret.yaml").read_text())
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    return [
        secret["stringData"]["BOOKWELL_SECRET_KEY"],
        compose["x-bookwell"]["environment"]["BOOKWELL_SECRET_KEY"],
    ]


WEAK_KEYS = [
    *_deploy_keys(),
    "CHANGE-ME",
    "changeme",
    "change_me",
    "secret",
    "Secret",
    "password",
    "CHANGE-ME-CHANGE-ME-CHANGE-ME-CHANGE-ME",  # long, still the placeholder
    "please-change-me-before-deploying-this-app",
    "your-secret-key-here-0123456789abcdef",
    "x" * 64,
    "0123456789" * 4,
    "q8Zb1-3kLm_Tt7YpW0aRxE",  # random, but 22 bytes: too short for HS256
    " " * 40,
]


@pytest.mark.parametrize("key", WEAK_KEYS)
def test_production_refuses_a_placeholder_or_short_key(key):
    with pytest.raises(ValidationError) as refused:
        Settings(environment="production", secret_key=key)
    assert "BOOKWELL_SECRET_KEY" in str(refused.value)


@pytest.mark.parametrize("key", WEAK_KEYS[:3])
def test_the_app_does_not_start_with_one(settings, key):
    # model_copy does not validate: create_app checks again.
    weak = settings.model_copy(update={"environment": "production", "secret_key": key})
    with pytest.raises(ValueError, match="BOOKWELL_SECRET_KEY"):
        create_app(weak)


def test_the_cli_refuses_in_one_line(monkeypatch, tmp_path):
    """Every command reads the settings first (`bookwell schema` touches nothing else)."""
    monkeypatch.setenv("BOOKWELL_ENVIRONMENT", "production")
    monkeypatch.setenv("BOOKWELL_SECRET_KEY", "CHANGE-ME")
    monkeypatch.setenv("BOOKWELL_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code != 0
    [line] = [line for line in result.output.splitlines() if line.strip()]
    assert "BOOKWELL_SECRET_KEY" in line and "Traceback" not in result.output


def test_a_forged_token_needs_the_real_key():
    """What the attack did: sign a token with the published placeholder."""
    good = secrets.token_urlsafe(48)
    settings = Settings(environment="production", secret_key=good)
    assert settings.secret_key == good
    forged = AccessTokens("CHANGE-ME", "bookwell", "bookwell-api", timedelta(hours=1))
    real = AccessTokens(good, "bookwell", "bookwell-api", timedelta(hours=1))
    assert real.user_id(forged.issue(uuid.uuid4())) is None


def test_development_keeps_working_with_any_key():
    assert Settings(environment="development", secret_key="CHANGE-ME").secret_key == "CHANGE-ME"
