"""A browser's view of the till over real HTTP (httpx against waitress): cookies, CSRF token, the JSON API."""

from __future__ import annotations

import re
import uuid
from typing import Any

import httpx

CSRF_RE = re.compile(r'name="csrf[_-]token" (?:value|content)="([^"]+)"')


class Till:
    """A browser's view of the till: a cookie jar, the page's CSRF token, the JSON API."""

    def __init__(self, base_url: str, username: str) -> None:
        """Log ``username`` in (password: username + '-pass') and open the till page for its token."""
        self.http = httpx.Client(base_url=base_url, follow_redirects=False, timeout=30)
        page = self.http.get("/login").text
        token = CSRF_RE.search(page).group(1)  # type: ignore[union-attr]
        login = self.http.post(
            "/login", data={"username": username, "password": f"{username}-pass", "csrf_token": token}
        )
        assert login.status_code == 302, login.text
        self.token = CSRF_RE.search(self.http.get("/till/").text).group(1)  # type: ignore[union-attr]

    def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return self.http.post(
            f"/till/api/{path}",
            json=body or {},
            headers={"Accept": "application/json", "X-CSRFToken": self.token},
        )

    def ok(self, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.post(path, body)
        assert response.status_code == 200, response.text
        return response.json()

    def approve(self, path: str, kind: str, value: str) -> dict[str, Any]:
        """A discount typed by the cashier with the manager's credentials in the approval box."""
        body = {"kind": kind, "value": value, "manager_username": "quanly", "manager_password": "quanly-pass"}
        return self.ok(path, body)

    def checkout(self, cart: dict[str, Any], cash_vnd: int | None = None) -> httpx.Response:
        amount = cart["total_vnd"] if cash_vnd is None else cash_vnd
        return self.post(
            "checkout",
            {
                "cart_id": cart["id"],
                "idempotency_key": str(uuid.uuid4()),
                "expected_total_vnd": cart["total_vnd"],
                "payments": [{"method": "cash", "amount_vnd": amount}],
            },
        )
