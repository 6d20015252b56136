"""Staff sign-in for /admin: the API's email and password check, ADMINs only, in Starlette's
signed session cookie (itsdangerous), re-checked against the database on every request."""

import hashlib
import hmac
import time
import uuid

from sqladmin.authentication import AuthenticationBackend
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from bookwell.admin.csrf import forgery_refusal
from bookwell.admin.sessions import LazySessionMaker
from bookwell.core.config import Settings
from bookwell.core.errors import DomainError
from bookwell.core.rate_limits import Counter, RateLimiter, login_attempts_at
from bookwell.models import Role, User
from bookwell.services.accounts import accounts
from bookwell.services.accounts.principal import Principal

COOKIE = "bookwell_admin"
# A sign-in lasts this long: the cookie's Max-Age and signature age, and the sign-in time
# stored in the session (sqladmin's flash messages re-sign the cookie, which restarts its age).
SESSION_SECONDS = 8 * 3600


def session_key(app_secret: str) -> str:
    """A key of its own for the admin cookie, derived from the app's secret (which signs
    JWTs): one secret to configure, no key shared between two uses."""
    return hmac.new(app_secret.encode(), b"bookwell admin session", hashlib.sha256).hexdigest()


class AdminAuth(AuthenticationBackend):
    def __init__(
        self,
        app_secret: str,
        settings: Settings,
        sessions: LazySessionMaker,
        path: str,
        rate_limiter: RateLimiter | None,
    ):
        # sqladmin puts Starlette's SessionMiddleware, with these arguments, before its routes.
        super().__init__(
            secret_key=session_key(app_secret),
            session_cookie=COOKIE,
            max_age=SESSION_SECONDS,
            path=path,
            same_site="lax",
            https_only=settings.environment != "development",
        )
        self.sessions = sessions
        self.settings = settings
        self.rate_limiter = rate_limiter if settings.rate_limits else None

    async def login(self, request: Request) -> Response | bool:
        if (refused := await forgery_refusal(request, self.settings.public_url)) is not None:
            return refused
        form = await request.form()
        email, password = form.get("username"), form.get("password")
        if not isinstance(email, str) or not isinstance(password, str):
            return False
        wait = await self._throttle(request, email)
        if wait is not None:
            return PlainTextResponse(
                f"Too many sign-in attempts: try again in {wait} s.",
                status_code=429,
                headers={"Retry-After": str(wait)},
            )
        try:
            # accounts.login verifies the Argon2 hash in a worker thread.
            async with self.sessions.database().read() as session:
                user = await accounts.login(session=session, email=email, password=password)
        except DomainError:
            return False
        if user.role is not Role.ADMIN:
            return False
        request.session.clear()
        request.session.update({"user_id": str(user.id), "signed_in_at": int(time.time())})
        return True

    async def _throttle(self, request: Request, email: str) -> int | None:
        """The API's login limits: per IP in a counter of the admin's own, per account in
        the API login's counter (guesses at one account add up over both)."""
        if self.rate_limiter is None:
            return None
        ip = request.client.host if request.client else "unknown"
        counters = [
            Counter(f"admin-login:ip:{ip}", self.settings.login_limit_per_ip),
            login_attempts_at(email, self.settings.login_limit_per_account),
        ]
        return await self.rate_limiter.take(counters, 1, self.settings.rate_limit_window_seconds)

    async def logout(self, request: Request) -> Response | bool:
        request.session.clear()
        return True

    async def authenticate(self, request: Request) -> Response | bool:
        """Still an ADMIN? A demoted or deleted account loses the admin at its next click."""
        signed_in_at = request.session.get("signed_in_at")
        if not isinstance(signed_in_at, int) or time.time() - signed_in_at > SESSION_SECONDS:
            request.session.clear()
            return False
        try:
            user_id = uuid.UUID(str(request.session.get("user_id")))
        except ValueError:
            return False
        async with self.sessions.database().read() as session:
            role = await session.scalar(select(User.role).where(User.id == user_id))
        if role is not Role.ADMIN:
            request.session.clear()
            return False
        if (refused := await forgery_refusal(request, self.settings.public_url)) is not None:
            return refused
        request.state.principal = Principal(user_id, Role.ADMIN)
        return True
