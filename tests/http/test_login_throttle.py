"""Failed logins are throttled (Flask-Limiter); session cookies are HttpOnly and SameSite."""

from __future__ import annotations

from typing import Any

import pytest

THROTTLED = "Bạn đã thử quá nhiều lần"


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    """This module turns the limiter on (it is off under TESTING so other tests can log in freely)."""
    return {"RATELIMIT_ENABLED": True}


def _try(client, auth, username: str, password: str, addr: str = "10.0.0.5") -> Any:
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": auth.csrf()},
        environ_base={"REMOTE_ADDR": addr},
    )


def test_sixth_failed_attempt_within_a_minute_is_refused_with_429(client, auth, make_user) -> None:
    make_user("thu", "manager")
    for _ in range(5):
        assert _try(client, auth, "thu", "sai").status_code == 401
    response = _try(client, auth, "thu", "sai")
    assert response.status_code == 429
    assert THROTTLED in response.get_data(as_text=True)
    assert response.headers["Retry-After"] == "60"
    # The right password is refused too while the lock lasts: that is what stops guessing.
    assert _try(client, auth, "thu", "thu-pass").status_code == 429


def test_the_budget_is_per_address_and_username(client, auth, make_user) -> None:
    make_user("thu", "manager")
    make_user("lan", "manager")
    for _ in range(5):
        _try(client, auth, "thu", "sai")
    assert _try(client, auth, "THU", "sai").status_code == 429  # the same user, whatever the case
    assert _try(client, auth, "lan", "lan-pass").status_code == 302  # a colleague at the same till
    auth.logout()
    assert _try(client, auth, "thu", "thu-pass", addr="10.0.0.9").status_code == 302  # another till


def test_one_address_cannot_walk_through_many_usernames(client, auth) -> None:
    codes = [_try(client, auth, f"nguoi{i}", "sai").status_code for i in range(21)]
    assert codes[:20] == [401] * 20
    assert codes[20] == 429


def test_successful_logins_do_not_use_the_failure_budget(client, auth, make_user) -> None:
    make_user("thu", "manager")
    for _ in range(10):
        assert _try(client, auth, "thu", "thu-pass").status_code == 302
        client.post("/logout", data={"csrf_token": auth.csrf("/")})
    for _ in range(4):
        assert _try(client, auth, "thu", "sai").status_code == 401
    assert _try(client, auth, "thu", "thu-pass").status_code == 302


def test_json_callers_get_the_message_as_json(client, auth) -> None:
    for _ in range(5):
        _try(client, auth, "ai", "sai")
    response = client.post(
        "/login",
        data={"username": "ai", "password": "sai", "csrf_token": auth.csrf()},
        headers={"Accept": "application/json"},
        environ_base={"REMOTE_ADDR": "10.0.0.5"},
    )
    assert response.status_code == 429
    assert THROTTLED in response.get_json()["error"]


def test_limiter_is_off_by_default_under_testing(make_user, db_path) -> None:
    from pos import create_app

    app = create_app(
        overrides={
            "TESTING": True,
            "INSTANCE_PATH": str(db_path.parent),
            "DATABASE_URL": f"sqlite:///{db_path.as_posix()}",
        }
    )
    assert app.config["RATELIMIT_ENABLED"] is False
    client = app.test_client()
    from tests.conftest import CSRF_RE

    token = CSRF_RE.search(client.get("/login").get_data(as_text=True)).group(1)
    codes = {
        client.post("/login", data={"username": "x", "password": "y", "csrf_token": token}).status_code
        for _ in range(8)
    }
    assert codes == {401}
    from pos.db import ENGINE_KEY

    app.extensions[ENGINE_KEY].dispose()


def test_session_cookie_is_httponly_and_samesite_lax(client, auth, make_user) -> None:
    make_user("ql", "manager")
    response = _try(client, auth, "ql", "ql-pass")
    assert response.status_code == 302
    session_cookies = [c for c in response.headers.getlist("Set-Cookie") if c.startswith("session=")]
    assert session_cookies
    for cookie in session_cookies:
        assert "HttpOnly" in cookie
        assert "SameSite=Lax" in cookie
