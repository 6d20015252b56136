"""The staff admin UI at /admin (sqladmin): see factory.build_admin. It needs the `admin`
extra (sqladmin); without it /admin says how to install it and the API runs as before."""

from typing import Any

from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Mount

MISSING = "The admin needs the `admin` extra: pip install 'bookwell[admin]'.\n"


def build_admin(*args: Any, **kwargs: Any) -> BaseRoute:
    """The admin's Mount (factory.build_admin takes the arguments), or a Mount that answers
    404 with how to install it."""
    try:
        from bookwell.admin.factory import build_admin as build
    except ImportError as error:
        if error.name is None or error.name.partition(".")[0] not in {"sqladmin", "wtforms"}:
            raise
        return Mount("/admin", app=PlainTextResponse(MISSING, status_code=404), name="admin")
    return build(*args, **kwargs)


__all__ = ["build_admin"]
