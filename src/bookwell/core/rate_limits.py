"""Counters behind the rate limits: fixed windows in Redis (shared by every replica), or in
this process when no Redis is configured."""

import hashlib
import logging
import math
import time
from dataclasses import dataclass, field
from typing import Protocol

import redis.asyncio as redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# Checks every counter first and takes from all of them only when all have room, so a
# refused operation costs nothing. Answers -1 (allowed) or the milliseconds until the
# fullest window resets.
TAKE_SCRIPT = """
local amount = tonumber(ARGV[1])
local window_ms = tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  local used = tonumber(redis.call('GET', key) or '0')
  if used + amount > tonumber(ARGV[i + 2]) then
    local ttl = redis.call('PTTL', key)
    if ttl < 0 then ttl = window_ms end
    return ttl
  end
end
for _, key in ipairs(KEYS) do
  if redis.call('INCRBY', key, amount) == amount then
    redis.call('PEXPIRE', key, window_ms)
  end
end
return -1
"""


@dataclass(frozen=True)
class Counter:
    key: str
    limit: int


def login_attempts_at(email: str, limit: int) -> Counter:
    """The counter of sign-in attempts at one account, shared by the API's login and the
    admin's: keyed by the email as login matches it (case and spaces aside), hashed, so an
    unknown address counts exactly like a known one and no address is kept in Redis."""
    account = hashlib.sha256(email.strip().lower().encode("utf-8", "replace")).hexdigest()
    return Counter(f"login:account:{account}", limit)


class RateLimiter(Protocol):
    async def take(self, counters: list[Counter], amount: int, window: int) -> int | None:
        """Takes `amount` from every counter when all have room; otherwise the seconds
        until one has, taking nothing."""
        ...

    async def close(self) -> None: ...


class RedisRateLimiter:
    def __init__(self, url: str, prefix: str):
        self.client = redis.Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2)
        self.prefix = prefix
        self.script = self.client.register_script(TAKE_SCRIPT)

    async def take(self, counters: list[Counter], amount: int, window: int) -> int | None:
        keys = [f"{self.prefix}:{counter.key}" for counter in counters]
        limits = [counter.limit for counter in counters]
        try:
            wait_ms = await self.script(keys=keys, args=[amount, window * 1000, *limits])
        except (RedisError, OSError):
            # Redis down: serve rather than refuse every login and booking.
            log.warning("rate limits skipped: Redis unreachable", exc_info=True)
            return None
        wait_ms = int(wait_ms)
        return None if wait_ms < 0 else max(1, math.ceil(wait_ms / 1000))

    async def close(self) -> None:
        await self.client.aclose()


@dataclass
class MemoryRateLimiter:
    """One process's counters: with several replicas each allows the full limit."""

    windows: dict[str, tuple[float, int]] = field(default_factory=dict)

    async def take(self, counters: list[Counter], amount: int, window: int) -> int | None:
        now = time.monotonic()
        used = {}
        for counter in counters:
            reset_at, count = self.windows.get(counter.key, (0.0, 0))
            if reset_at <= now:
                reset_at, count = now + window, 0
            if count + amount > counter.limit:
                return max(1, math.ceil(reset_at - now))
            used[counter.key] = (reset_at, count + amount)
        self.windows.update(used)
        if len(self.windows) > 100_000:
            self.windows = {k: v for k, v in self.windows.items() if v[0] > now}
        return None

    async def close(self) -> None:
        self.windows.clear()


def build_rate_limiter(redis_url: str | None, namespace: str) -> RateLimiter:
    if redis_url:
        return RedisRateLimiter(redis_url, prefix=f"{namespace}:rate")
    return MemoryRateLimiter()
