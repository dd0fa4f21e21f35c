"""Login, logout, roles and CSRF."""

from __future__ import annotations


def test_anonymous_is_sent_to_login(client) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_login_page_is_vietnamese_and_carries_csrf(client) -> None:
    html = client.get("/login").get_data(as_text=True)
    assert "Đăng nhập" in html
    assert 'name="csrf_token"' in html


def test_wrong_password_is_refused(client, auth, make_user) -> None:
    make_user("thu", "cashier")
    response = client.post("/login", data={"username": "thu", "password": "sai", "csrf_token": auth.csrf()})
    assert response.status_code == 401
    assert "Sai tên đăng nhập hoặc mật khẩu" in response.get_data(as_text=True)


def test_post_without_csrf_is_refused(client, make_user) -> None:
    make_user("thu", "cashier")
    response = client.post("/login", data={"username": "thu", "password": "thu-pass"})
    assert response.status_code == 400
    assert "biểu mẫu không hợp lệ" in response.get_data(as_text=True)


def test_manager_logs_in_and_out(client, auth) -> None:
    auth.login("manager")
    assert client.get("/").status_code == 200
    auth.logout()
    assert client.get("/").status_code == 302


def test_security_headers(client) -> None:
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
