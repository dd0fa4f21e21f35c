"""Sessions (idle expiry, Secure cookie), login and manager-approval throttling (Flask-Limiter) and log hygiene.

No password, secret or token in any log.

Failed logins are limited per client address and username (and, more loosely, per address alone, so one
machine cannot walk through many usernames). Only failed attempts count: a cashier who logs in correctly
never uses up the budget. The manager's credentials typed at a till (discount approval, shift sign-off,
void) get the same budget, counted and audited ("approval.failed") by verify_manager_credentials. The
limiter is created per app, with in-memory storage (one showroom = one process), and is off under TESTING
unless a test turns RATELIMIT_ENABLED on.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask, current_app, flash, has_request_context, render_template, request
from flask.sessions import SecureCookieSessionInterface
from flask_limiter import Limiter
from flask_limiter.errors import RateLimitExceeded
from limits import parse as parse_limit
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from pos.errors import Forbidden, PosError
from pos.text import nfc

F = TypeVar("F", bound=Callable[..., Any])

LIMITER_KEY = "pos.limiter"
LOGIN_FAILURES_PER_USER = "5 per minute"
LOGIN_FAILURES_PER_ADDRESS = "20 per minute"
THROTTLE_MESSAGE = "Bạn đã thử quá nhiều lần. Vui lòng đợi 1 phút rồi thử lại."
RETRY_AFTER_S = 60


# --- Sessions: idle expiry, Secure cookie, the proxy in front ---------------------------------------------------

DEFAULT_IDLE_HOURS = 12  # a working day: a login left idle overnight is gone by the morning


class PosSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, whose cookie is Secure whenever the request came over HTTPS.

    LOGIN_COOKIE_SECURE = "auto" (the default) follows the request: HTTPS straight to waitress, or a proxy
    trusted through SERVER_TRUSTED_PROXIES that says X-Forwarded-Proto: https. true or false force it.
    """

    def get_cookie_secure(self, app: Flask) -> bool:
        setting = app.config.get("LOGIN_COOKIE_SECURE", "auto")
        if isinstance(setting, str) and setting.strip().lower() == "auto":
            return bool(has_request_context() and request.is_secure)
        if isinstance(setting, str):
            return setting.strip().lower() in {"1", "true", "yes", "on"}
        return bool(setting)


def init_sessions(app: Flask) -> None:
    """Logins end after LOGIN_IDLE_HOURS without a request; the cookie is Secure over HTTPS; trust the proxy.

    The session cookie's signature carries its time, and Flask refuses one older than the lifetime; a
    permanent session (see auth.views.login_flow) gets a fresh cookie on every request, so the lifetime
    counts from the last request: inactivity, not the length of the working day.
    """
    hours = float(app.config.get("LOGIN_IDLE_HOURS", DEFAULT_IDLE_HOURS))
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=hours)
    app.config["SESSION_REFRESH_EACH_REQUEST"] = True
    app.session_interface = PosSessionInterface()
    proxies = int(app.config.get("SERVER_TRUSTED_PROXIES", 0))
    if proxies > 0:  # only then are X-Forwarded-For/-Proto/-Host believed (anyone can send them)
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_port=proxies)  # type: ignore[method-assign]


# --- Login throttling ----------------------------------------------------------------------------------------


def throttle_failed_logins(view: F) -> F:
    """Mark the login view; init_security limits its failed attempts (answered with 401) on each app."""
    view.throttle_failed_logins = True  # type: ignore[attr-defined]
    return view


def _address() -> str:
    return request.remote_addr or "unknown"


def _address_and_username() -> str:
    username = nfc(request.form.get("username", "")).strip().lower()[:60]
    return f"{_address()}|{username}"


def _failed(response: Response) -> bool:
    """Only a refused password counts against the budget; a CSRF error or a success does not."""
    return response.status_code == 401


def init_security(app: Flask) -> None:
    """Throttle failed logins and redact secrets from the logs; call after the blueprints are registered."""
    install_log_redaction(app)
    app.config.setdefault("RATELIMIT_ENABLED", not app.config.get("TESTING", False))
    app.config.setdefault("RATELIMIT_STRATEGY", "moving-window")  # no burst of 2×5 across a minute boundary
    limiter = Limiter(key_func=_address, storage_uri="memory://", key_prefix="pos")
    limiter.init_app(app)
    app.extensions[LIMITER_KEY] = limiter
    for endpoint, view in list(app.view_functions.items()):
        if getattr(view, "throttle_failed_logins", False):
            for limit, key in (
                (LOGIN_FAILURES_PER_USER, _address_and_username),
                (LOGIN_FAILURES_PER_ADDRESS, _address),
            ):
                view = limiter.limit(
                    limit,
                    key_func=key,
                    methods=["POST"],
                    deduct_when=_failed,
                    error_message=THROTTLE_MESSAGE,
                    scope=f"{endpoint}:{limit}",
                )(view)
            app.view_functions[endpoint] = view

    @app.errorhandler(RateLimitExceeded)
    def _throttled(exc: RateLimitExceeded) -> Any:
        from pos.errors import error_response, wants_json

        if request.endpoint == "auth.login" and not wants_json():
            flash(THROTTLE_MESSAGE, "error")
            username = nfc(request.form.get("username", ""))[:60]
            response = app.make_response((render_template("auth/login.html", username=username), 429))
        else:
            response = app.make_response(error_response(THROTTLE_MESSAGE, 429))
        response.headers["Retry-After"] = str(RETRY_AFTER_S)
        return response


# --- Manager credentials typed at a till -------------------------------------------------------------------

APPROVAL_FAILURES_PER_MANAGER = "5 per minute"  # per till address and typed manager username
APPROVAL_FAILURES_PER_ADDRESS = "20 per minute"
U = TypeVar("U")


class ApprovalThrottled(PosError):
    """Too many wrong manager credentials from this till: wait before trying again."""

    status = 429


def _approval_budgets(username: str) -> list[tuple[Any, str]]:
    address = _address()
    return [
        (parse_limit(APPROVAL_FAILURES_PER_MANAGER), f"{address}|{username}"),
        (parse_limit(APPROVAL_FAILURES_PER_ADDRESS), address),
    ]


def verify_manager_credentials(
    verify: Callable[[Any, str, str], U], username: str | None, password: str | None, purpose: str
) -> U:
    """A manager's credentials typed at a till, checked by ``verify(session, username, password)``.

    Call it before the view's write transaction: a wrong password (a Forbidden from ``verify``) is counted
    against the till's budget and audited as "approval.failed" in a transaction of its own, then re-raised.
    Over budget, the credentials are not even checked (ApprovalThrottled, 429). A missing username or
    password is the form's problem, not a guess, and does not count.
    """
    from flask_login import current_user

    from pos.audit import log as audit
    from pos.db import get_session, unit_of_work

    typed = nfc(username or "").strip().lower()[:60]
    limiter: Limiter | None = current_app.extensions.get(LIMITER_KEY)
    budgets = _approval_budgets(typed) if limiter is not None and limiter.enabled else []
    if any(not limiter.limiter.test(item, "approval", key) for item, key in budgets):  # type: ignore[union-attr]
        raise ApprovalThrottled(THROTTLE_MESSAGE, "manager_password")
    try:
        return verify(get_session(), username or "", password or "")
    except Forbidden:
        for item, key in budgets:
            limiter.limiter.hit(item, "approval", key)  # type: ignore[union-attr]
        with unit_of_work() as session:
            audit.record(
                session,
                "approval.failed",
                user_id=current_user.id if current_user.is_authenticated else None,
                entity="user",
                entity_id=typed[:40],
                after={"purpose": purpose, "manager_username": typed},
            )
        raise


# --- Log hygiene ---------------------------------------------------------------------------------------------

MASK = "***"
_SECRET_WORD = r"[\w.-]*(?:password|passwd|passwort|pwd|secret|token|api[_-]?key|credential|session)[\w.-]*"
_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # Authorization: Bearer abc / "Authorization": "Basic abc" -> keep the scheme, hide the credential
    (
        re.compile(r"(?i)(\bauthorization\b[\"']?\s*[:=]\s*[\"']?)((?:bearer|basic|token|digest)\s+)?[^\s\"',;&)}\]]+"),
        r"\1\g<2>" + MASK,
    ),
    # Cookie headers carry the session
    (re.compile(r"(?i)(\b(?:set-)?cookie\b[\"']?\s*[:=]\s*[\"']?)[^\"'\n]+"), r"\1" + MASK),
    # ('password', 'x') as in a repr of request.form
    (re.compile(r"(?i)(\(\s*[\"']" + _SECRET_WORD + r"[\"']\s*,\s*)([\"'])(?:(?!\2).)*\2"), r"\1'" + MASK + "'"),
    # password=x, "password": "x", 'csrf_token': 'x', secret: x
    (
        re.compile(r"(?i)(\b" + _SECRET_WORD + r"[\"']?\s*[:=]\s*)([\"'])(?:(?!\2).)*\2"),
        r"\1\2" + MASK + r"\2",
    ),
    (re.compile(r"(?i)(\b" + _SECRET_WORD + r"[\"']?\s*[:=]\s*)(?![\"'\s])[^\s&,;)}\]]+"), r"\1" + MASK),
    # Werkzeug password hashes (scrypt:..., pbkdf2:...) wherever they appear, e.g. SQL parameters
    (re.compile(r"\b(?:scrypt|pbkdf2)(?::[\w-]+)*\$[^\s'\",)]+"), MASK),
]


def redact(text: str) -> str:
    """``text`` with passwords, secrets, tokens, credentials and cookies replaced by ***."""
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    """Rewrites a log record so that its message and traceback carry no secret; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "pos_redacted", False):
            return True
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's business, not ours
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        record.pos_redacted = True
        return True


REDACTING_FILTER = RedactingFilter()
LOGGERS = ("waitress", "waitress.queue", "werkzeug", "flask_limiter", "sqlalchemy", "alembic")


def install_log_redaction(app: Flask) -> None:
    """Redact every log record: a filter on the app's and waitress's loggers, and in the record factory.

    A filter on a logger does not see the records of its child loggers (pos.sales, sqlalchemy.engine...),
    so the same filter also runs when any record is created. Installing twice does nothing more.
    """
    for logger in (app.logger, *(logging.getLogger(name) for name in LOGGERS)):
        if REDACTING_FILTER not in logger.filters:
            logger.addFilter(REDACTING_FILTER)
    factory = logging.getLogRecordFactory()
    if getattr(factory, "pos_redacting", False):
        return

    def redacting_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        REDACTING_FILTER.filter(record)
        return record

    redacting_factory.pos_redacting = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(redacting_factory)
