"""Attack: production running with the deploy files' placeholder BOOKWELL_SECRET_KEY
(`CHANGE-ME`), or with any other key written in this repository (the tests', the bench's),
or one made of dictionary words: anyone who read the repository, or guesses words, signs a
JWT for any user. Production refuses to start with a placeholder, published, short or
wordy key, and says why in one line; random keys (token_urlsafe, hex) start."""

import re
import secrets
import subprocess
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
from bookwell.core.secret_keys import secret_key_problem
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
    # Published in this repository (tests, bench), long enough and not placeholders:
    "test-secret-key-that-is-long-enough-for-hs256",
    "bench-booking-secret-key-long-enough-for-hs256",
    "shared-secret-for-both-processes-0123456789",
    "TEST_SECRET_KEY_THAT_IS_LONG_ENOUGH_FOR_HS256",  # the same, respelled
    # Mostly dictionary words, whatever their length:
    "my-super-secret-jwt-signing-key-for-bookwell",
    "dev-secret-key-please-rotate-0000000000",
    "correct horse battery staple and another horse",
    "TheQuickBrownFoxJumpsOverTheLazyDog2024!",
    "production-signing-key-for-our-booking-site-v2",
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


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("CHANGE-ME", "placeholder"),
        ("bench-booking-secret-key-long-enough-for-hs256", "published"),
        ("my-super-secret-jwt-signing-key-for-bookwell", "dictionary words"),
    ],
)
def test_the_cli_refuses_in_one_line(monkeypatch, tmp_path, key, reason):
    """Every command reads the settings first (`bookwell schema` touches nothing else)."""
    monkeypatch.setenv("BOOKWELL_ENVIRONMENT", "production")
    monkeypatch.setenv("BOOKWELL_SECRET_KEY", key)
    monkeypatch.setenv("BOOKWELL_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(main, ["schema"])
    assert result.exit_code != 0
    [line] = [line for line in result.output.splitlines() if line.strip()]
    assert "BOOKWELL_SECRET_KEY" in line and "Traceback" not in result.output
    assert reason in line


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


# Where a key is written for BOOKWELL_SECRET_KEY: the variable set in YAML, shell, .env,
# Python dicts and calls (`BOOKWELL_SECRET_KEY=x`, `"BOOKWELL_SECRET_KEY": "x"`,
# `setenv("BOOKWELL_SECRET_KEY", "x")`), and the Settings field (`secret_key="x"`).
_KEY_LITERALS = [
    re.compile(r"""BOOKWELL_SECRET_KEY['"]?\s*[:=,]\s*['"]?([^\s'"`,)]+)"""),
    re.compile(r"""\bsecret_key['"]?\s*[:=]\s*['"]([^'"]+)['"]"""),
]


def _keys_written_in_the_repository() -> set[str]:
    files = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True, text=True
    ).stdout.split("\0")
    found = set()
    for name in files:
        path = ROOT / name
        if (
            not name
            or path.suffix in {".lock", ".png", ".jpg", ".ico", ".gz"}
            or not path.is_file()
        ):
            continue
        text = path.read_text(errors="replace")
        for pattern in _KEY_LITERALS:
            found.update(match.group(1) for match in pattern.finditer(text))
    return found


def test_every_key_written_in_the_repository_is_refused():
    keys = _keys_written_in_the_repository()
    # The grep finds what it must (else it proves nothing).
    assert {
        "CHANGE-ME",
        "change-me-in-production",
        "bench-booking-secret-key-long-enough-for-hs256",
        "shared-secret-for-both-processes-0123456789",
        "bench",
    } <= keys, keys
    accepted = [key for key in keys if secret_key_problem(key) is None]
    assert accepted == [], "published keys production would accept"


@pytest.mark.parametrize(
    "make",
    [
        lambda: secrets.token_urlsafe(32),
        lambda: secrets.token_urlsafe(48),
        lambda: secrets.token_hex(32),
        lambda: secrets.token_hex(32).upper(),
    ],
    ids=["urlsafe-32", "urlsafe-48", "hex-64", "HEX-64"],
)
def test_random_keys_are_accepted(make):
    refused = [
        (key, problem)
        for key in (make() for _ in range(30))
        if (problem := secret_key_problem(key))
    ]
    assert refused == []


def test_the_reason_is_one_line():
    with pytest.raises(ValidationError) as refused:
        Settings(
            environment="production", secret_key="test-secret-key-that-is-long-enough-for-hs256"
        )
    message = str(refused.value)
    assert "published" in message or "words" in message
