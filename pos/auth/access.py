"""Who may open what: a role check for views."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import abort, current_app
from flask_login import current_user

F = TypeVar("F", bound=Callable[..., Any])


def role_required(role: str) -> Callable[[F], F]:
    """Anonymous visitors go to the login page; a logged-in user below ``role`` gets 403."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_role = role  # type: ignore[attr-defined]
        return wrapped  # type: ignore[return-value]

    return decorator


def bind_role(blueprint: Any, role: str) -> None:
    """Require ``role`` for every view of a blueprint (checked before the view runs)."""

    @blueprint.before_request
    def _check() -> Any:
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
        if not current_user.has_role(role):
            abort(403)
        return None
