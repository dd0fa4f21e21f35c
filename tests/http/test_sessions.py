"""A login ends with its logout, a new password or a deactivation, and after a working day idle (issue 11, item 4)."""

from __future__ import annotations

import re
import time

import httpx
import itsdangerous.timed
import pytest

from pos.auth.models import User
from pos.auth.services import set_password

JSON = {"Accept": "application/json"}
CSRF_RE = re.compile(r'name="csrf[_-]token" (?:value|content)="([^"]+)"')


def login(http: httpx.Client, username: str) -> None:
    token = CSRF_RE.search(http.get("/login").text).group(1)  # type: ignore[union-attr]
    response = http.post("/login", data={"username": username, "password": f"{username}-pass", "csrf_token": token})
    assert response.status_code == 302, response.text


def test_a_cookie_kept_from_before_the_logout_opens_nothing(live_server, make_user) -> None:
    make_user("quanly", "manager")
    with httpx.Client(base_url=live_server.url) as browser:
        login(browser, "quanly")
        assert browser.get("/reports/").status_code == 200
        kept = browser.cookies["session"]
        token = CSRF_RE.search(browser.get("/").text).group(1)  # type: ignore[union-attr]
        assert browser.post("/logout", data={"csrf_token": token}).status_code == 302
    with httpx.Client(base_url=live_server.url, cookies={"session": kept}) as attacker:
        replayed = attacker.get("/reports/")
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]


def test_logging_out_ends_the_users_other_logins_too(live_server, make_user) -> None:
    make_user("quanly", "manager")
    with httpx.Client(base_url=live_server.url) as office, httpx.Client(base_url=live_server.url) as till:
        login(office, "quanly")
        login(till, "quanly")
        assert till.get("/reports/").status_code == 200
        token = CSRF_RE.search(office.get("/").text).group(1)  # type: ignore[union-attr]
        office.post("/logout", data={"csrf_token": token})
        assert till.get("/reports/").status_code == 302
        login(till, "quanly")  # a new login works at once
        assert till.get("/reports/").status_code == 200


def test_a_new_password_ends_the_login_at_once_despite_the_user_cache(auth, uow) -> None:
    manager = auth.login("manager", "quanly")
    assert auth.client.get("/reports/").status_code == 200  # the user is now cached for a few seconds
    with uow() as s:
        set_password(s, manager.id, "mat-khau-moi", actor_id=manager.id)
    assert auth.client.get("/reports/").status_code == 302


def test_a_read_between_the_change_and_its_commit_is_not_kept(auth, uow) -> None:
    manager = auth.login("manager", "quanly")
    with uow() as s:
        s.get(User, manager.id).is_active = False
        s.flush()  # the change is made but not committed: a request now still sees the old row
        assert auth.client.get("/reports/").status_code == 200
    assert auth.client.get("/reports/").status_code == 302  # committed: the user cache was forgotten again


def test_a_login_ends_after_a_working_day_without_a_request(auth, monkeypatch) -> None:
    auth.login("manager", "quanly")
    now = time.time()
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: now + 11 * 3600)
    assert auth.client.get("/reports/").status_code == 200  # 11 hours idle: still in, and the clock restarts
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: now + 22 * 3600)
    assert auth.client.get("/reports/").status_code == 200  # 11 more hours after that request
    monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: now + 34 * 3600 + 60)
    assert auth.client.get("/reports/").status_code == 302  # 12 hours and a minute idle: logged out


@pytest.mark.parametrize(
    ("app_overrides", "headers", "secure"),
    [
        ({}, {}, False),  # plain HTTP on the showroom LAN
        ({}, {"X-Forwarded-Proto": "https"}, False),  # no proxy configured: the header is anyone's
        # Over HTTPS Flask-WTF also wants the Referer of this site, as a browser sends it.
        ({"SERVER_TRUSTED_PROXIES": 1}, {"X-Forwarded-Proto": "https", "Referer": "https://localhost/login"}, True),
        ({"SERVER_TRUSTED_PROXIES": 1}, {"X-Forwarded-Proto": "http"}, False),
        ({"LOGIN_COOKIE_SECURE": "true"}, {}, True),
    ],
)
def test_the_session_cookie_is_secure_over_https(client, make_user, headers, secure) -> None:
    make_user("quanly", "manager")
    page = client.get("/login", headers=headers).get_data(as_text=True)
    token = CSRF_RE.search(page).group(1)  # type: ignore[union-attr]
    response = client.post(
        "/login", data={"username": "quanly", "password": "quanly-pass", "csrf_token": token}, headers=headers
    )
    assert response.status_code == 302
    cookie = next(value for value in response.headers.getlist("Set-Cookie") if value.startswith("session="))
    assert ("; Secure" in cookie) is secure
    assert "Expires=" in cookie  # a permanent session, refreshed on each request
