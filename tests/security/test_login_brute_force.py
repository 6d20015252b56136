"""Attacks on login: guessing one account's password from many IPs (the limit was per IP
only), and rotating `X-Forwarded-For` so that every attempt seems to come from a new IP
(uvicorn trusted the header from 127.0.0.1 by default: 35 of 35 attempts passed)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from bookwell.app import create_app
from bookwell.cli.serve import uvicorn_options
from bookwell.core.config import Settings
from bookwell.graphql.limits.rate_limiting import CODE as LIMITED
from tests.support.browser import serving
from tests.support.graphql_client import GraphQLClient
from tests.support.lifespan import started

LOGIN = """mutation($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) { accessToken errors { code } }
}"""
REGISTER = """mutation($email: String!) {
  register(input: {email: $email, password: "violet tram 42 under-ice", name: "V"}) {
    errors { code }
  }
}"""


@pytest.fixture
def per_account(settings: Settings, redis_server_url: str, queue_namespace: str) -> Settings:
    return settings.model_copy(
        update={
            "redis_url": redis_server_url,
            "queue_namespace": queue_namespace,
            "login_limit_per_ip": 1000,
            "login_limit_per_account": 3,
        }
    )


@asynccontextmanager
async def in_process(settings: Settings) -> AsyncIterator[GraphQLClient]:
    app = create_app(settings)
    async with started(app) as app:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield GraphQLClient(http)


def _limited(answer) -> bool:
    return answer.status == 429 and LIMITED in answer.codes


async def test_guesses_at_one_account_are_limited_whatever_the_ip(per_account):
    async with in_process(per_account) as client:
        assert (await client(REGISTER, {"email": "victim@example.com"})).data
        spellings = ["victim@example.com", " VICTIM@example.com", "Victim@Example.COM "]
        answers = [
            await client(
                LOGIN,
                {"email": spellings[n % 3], "password": f"guess {n}"},
                headers={"X-Forwarded-For": f"203.0.113.{n}"},
            )
            for n in range(6)
        ]
        assert [_limited(a) for a in answers] == [False] * 3 + [True] * 3
        # The right password is refused too while the account is throttled...
        right = {"email": "victim@example.com", "password": "violet tram 42 under-ice"}
        assert _limited(await client(LOGIN, right))
        # ... and another account is not affected.
        other = await client(LOGIN, {"email": "other@example.com", "password": "x" * 8})
        assert other.data["login"]["errors"] == [{"code": "INVALID_CREDENTIALS"}]


async def test_an_unknown_email_is_throttled_alike(per_account):
    """Counted whether or not the account exists: throttling tells nothing about existence."""
    async with in_process(per_account) as client:
        answers = [
            await client(LOGIN, {"email": "nobody@example.com", "password": f"guess {n}"})
            for n in range(4)
        ]
    assert [_limited(a) for a in answers] == [False] * 3 + [True]


async def test_aliases_cannot_spread_guesses(per_account):
    fields = " ".join(
        f'g{n}: login(input: {{email: "victim@example.com", password: "guess {n}"}}) '
        "{ accessToken }"
        for n in range(5)
    )
    async with in_process(per_account) as client:
        answer = await client(f"mutation {{ {fields} }}")
    assert answer.status == 429 and LIMITED in answer.codes


async def test_guesses_cannot_be_spread_over_the_api_and_the_admin(per_account):
    """The admin's sign-in kept a counter of its own: three guesses there, three more over
    the API, per window."""
    from tests.admin.conftest import sign_in

    async with in_process(per_account) as client:
        for n in range(2):
            admin = await sign_in(client.http, "victim@example.com", f"admin guess {n}")
            assert admin.status_code != 429
        first = await client(LOGIN, {"email": "victim@example.com", "password": "guess"})
        assert not _limited(first)
        assert _limited(await client(LOGIN, {"email": "victim@example.com", "password": "x"}))
        admin = await sign_in(client.http, "Victim@example.com", "admin guess 3")
        assert admin.status_code == 429


def behind_uvicorn(settings: Settings):
    """The app as `bookwell serve` runs it: uvicorn with serve's options."""
    options = uvicorn_options(settings, "127.0.0.1", 0, access_log=False)
    return serving(create_app(settings), dict(options))


def _per_ip(settings: Settings, redis_server_url: str, queue_namespace: str, **more) -> Settings:
    return settings.model_copy(
        update={
            "redis_url": redis_server_url,
            "queue_namespace": queue_namespace,
            "login_limit_per_ip": 5,
            "login_limit_per_account": 1000,
            **more,
        }
    )


async def _rotated_attempts(url: str, count: int) -> list[int]:
    async with httpx.AsyncClient(base_url=url) as http:
        statuses = []
        for n in range(count):
            body = {"query": LOGIN, "variables": {"email": f"u{n}@example.com", "password": "p"}}
            headers = {"X-Forwarded-For": f"198.51.100.{n}"}
            statuses.append((await http.post("/graphql", json=body, headers=headers)).status_code)
        return statuses


async def test_forwarded_for_from_an_untrusted_peer_is_ignored(
    settings, redis_server_url, queue_namespace, monkeypatch
):
    # Neither uvicorn's default (127.0.0.1) nor its environment variable may widen trust
    # behind the app's back: only the setting counts.
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)
    async with behind_uvicorn(_per_ip(settings, redis_server_url, queue_namespace)) as url:
        statuses = await _rotated_attempts(url, 12)
    assert statuses == [200] * 5 + [429] * 7


async def test_forwarded_for_from_a_configured_proxy_names_the_client(
    settings, redis_server_url, queue_namespace
):
    trusted = _per_ip(settings, redis_server_url, queue_namespace, forwarded_allow_ips="127.0.0.1")
    async with behind_uvicorn(trusted) as url:
        statuses = await _rotated_attempts(url, 8)
    assert statuses == [200] * 8  # each client its own IP, as the proxy says


def test_forwarded_allow_ips_is_read_from_uvicorns_variable(monkeypatch):
    monkeypatch.setenv("FORWARDED_ALLOW_IPS", "10.0.0.0/8")
    assert Settings().forwarded_allow_ips == "10.0.0.0/8"
    monkeypatch.delenv("FORWARDED_ALLOW_IPS")
    assert Settings().forwarded_allow_ips == ""
