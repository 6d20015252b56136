"""The admin as a Mount for the app's routes, built before the database exists."""

from pathlib import Path

from sqladmin import Admin
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount

from bookwell.admin.auth import AdminAuth
from bookwell.admin.blackouts import BlackoutAdmin
from bookwell.admin.csrf import NoFraming, csrf_input, csrf_token
from bookwell.admin.sessions import LazySessionMaker, RequestDatabase
from bookwell.admin.taxes import TaxAdmin
from bookwell.admin.views import VIEWS
from bookwell.admin.vouchers import VoucherAdmin
from bookwell.core.config import Settings
from bookwell.core.db import secret_key
from bookwell.core.rate_limits import RateLimiter

PATH = "/admin"
TEMPLATES = Path(__file__).parent / "templates"


def build_admin(settings: Settings, rate_limiter: RateLimiter | None = None) -> Mount:
    """The database is read from each request's state (the app's lifespan opens it after
    this runs: admin/sessions.py). `rate_limiter` counts sign-in attempts (the app's; None:
    not limited). sqladmin's own URLs name the mount "admin", so the Mount keeps that name."""
    sessions = LazySessionMaker()
    admin = Admin(
        Starlette(),  # sqladmin mounts itself here; the app mounts the same ASGI app below
        session_maker=sessions,  # type: ignore[arg-type]
        base_url=PATH,
        title="Bookwell admin",
        templates_dir=str(TEMPLATES),
        authentication_backend=AdminAuth(
            secret_key(settings), settings, sessions, PATH, rate_limiter
        ),
    )
    for view in (*VIEWS, BlackoutAdmin, TaxAdmin, VoucherAdmin):
        admin.add_view(view)
    admin.templates.env.globals["csrf_input"] = csrf_input
    admin.templates.env.globals["csrf_value"] = csrf_token
    middleware = [Middleware(NoFraming), Middleware(RequestDatabase)]
    return Mount(PATH, app=admin.admin, name="admin", middleware=middleware)
