"""Staff pages for admins: add, edit, roles, deactivate, reset a password; audited; nobody locks the shop out."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from pos.audit.models import AuditEntry
from pos.auth.models import User
from pos.sales.models import Shift


def user_named(uow: Any, username: str) -> User | None:
    with uow() as s:
        return s.exec(select(User).where(User.username == username)).first()


def actions(uow: Any, entity_id: int) -> list[str]:
    with uow() as s:
        rows = s.exec(select(AuditEntry).where(AuditEntry.entity == "user", AuditEntry.entity_id == str(entity_id)))
        return [row.action for row in rows]


def can_log_in(app: Any, username: str, password: str) -> bool:
    from tests.conftest import AuthActions

    client = app.test_client()
    token = AuthActions(client, lambda *a: None).csrf()
    response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    return response.status_code == 302


def test_only_an_admin_manages_staff(client, auth) -> None:
    assert client.get("/staff/").status_code == 302  # anonymous: to the login page
    auth.login("manager")
    assert client.get("/staff/").status_code == 403
    assert "/staff/" not in client.get("/").get_data(as_text=True)  # no menu link or tile for a manager
    auth.logout()
    auth.login("admin")
    home = client.get("/").get_data(as_text=True)
    # The admin sees the manager's pages plus the staff pages.
    assert 'href="/staff/"' in home and 'href="/reports/"' in home and 'id="staff-tile"' in home


def test_admin_adds_edits_deactivates_and_resets_a_password(app, client, auth, uow) -> None:
    admin = auth.login("admin")
    response = auth.post(
        "/staff/new",
        {
            "username": "Lan.Nguyen",
            "full_name": "Nguyễn  Thị Lan",
            "role": "cashier",
            "password": "lan-123456",
            "confirm": "lan-123456",
        },
    )
    assert response.status_code == 302
    lan = user_named(uow, "lan.nguyen")
    assert lan is not None and lan.full_name == "Nguyễn Thị Lan" and lan.role == "cashier"
    assert "Nguyễn Thị Lan" in client.get("/staff/").get_data(as_text=True)
    assert can_log_in(app, "lan.nguyen", "lan-123456")

    response = auth.post(f"/staff/{lan.id}", {"full_name": "Nguyễn Thị Lan Anh", "role": "manager"})
    assert response.status_code == 302
    lan = user_named(uow, "lan.nguyen")
    assert (lan.full_name, lan.role) == ("Nguyễn Thị Lan Anh", "manager")

    response = auth.post(f"/staff/{lan.id}/password", {"password": "moi-654321", "confirm": "moi-654321"})
    assert response.status_code == 302
    assert can_log_in(app, "lan.nguyen", "moi-654321") and not can_log_in(app, "lan.nguyen", "lan-123456")

    response = auth.post(f"/staff/{lan.id}/active", {"active": "0"}, "/staff/")
    assert response.status_code == 302 and not user_named(uow, "lan.nguyen").is_active
    assert not can_log_in(app, "lan.nguyen", "moi-654321")
    assert "Đã khóa" in client.get("/staff/").get_data(as_text=True)
    auth.post(f"/staff/{lan.id}/active", {"active": "1"}, "/staff/")
    assert can_log_in(app, "lan.nguyen", "moi-654321")

    assert actions(uow, lan.id) == ["user.create", "user.role", "user.password", "user.deactivate", "user.activate"]
    with uow() as s:
        entries = s.exec(select(AuditEntry).where(AuditEntry.entity == "user")).all()
        assert {e.user_id for e in entries if e.entity_id == str(lan.id)} == {admin.id}
        assert not [e for e in entries if "moi-654321" in (e.after or "") + (e.before or "")]


def test_bad_input_is_explained_and_writes_nothing(client, auth, uow) -> None:
    auth.login("admin")
    cases = [
        (
            {"username": "lan", "full_name": "Lan", "role": "cashier", "password": "12345", "confirm": "12345"},
            "ít nhất 6 ký tự",
        ),
        (
            {"username": "lan", "full_name": "Lan", "role": "cashier", "password": "123456", "confirm": "654321"},
            "không giống nhau",
        ),
        (
            {"username": "lan vo", "full_name": "Lan", "role": "cashier", "password": "123456", "confirm": "123456"},
            "Tên đăng nhập chỉ gồm",
        ),
        (
            {"username": "lan", "full_name": "", "role": "cashier", "password": "123456", "confirm": "123456"},
            "Chưa nhập họ và tên",
        ),
        (
            {"username": "lan", "full_name": "Lan", "role": "boss", "password": "123456", "confirm": "123456"},
            "Vai trò không hợp lệ",
        ),
        (
            {"username": "admin", "full_name": "Lan", "role": "cashier", "password": "123456", "confirm": "123456"},
            "đã có người dùng",
        ),
    ]
    for data, message in cases:
        response = auth.post("/staff/new", data)
        assert response.status_code in (409, 422) and message in response.get_data(as_text=True), message
    assert user_named(uow, "lan") is None
    assert client.get("/staff/99999").status_code == 404


def test_nobody_locks_the_showroom_out(client, auth, uow, make_user) -> None:
    admin = auth.login("admin")
    response = auth.post(f"/staff/{admin.id}", {"full_name": "Admin", "role": "manager"})
    assert response.status_code == 409 and "chính mình" in response.get_data(as_text=True)
    response = auth.post(f"/staff/{admin.id}/active", {"active": "0"}, "/staff/", follow_redirects=True)
    assert "chính mình" in response.get_data(as_text=True)
    assert user_named(uow, "admin").is_active and user_named(uow, "admin").role == "admin"

    cashier = make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")
    with uow() as s:
        s.add(Shift(cashier_id=cashier.id, opening_float_vnd=500_000))
    response = auth.post(f"/staff/{cashier.id}/active", {"active": "0"}, "/staff/", follow_redirects=True)
    assert "đang có ca làm việc mở" in response.get_data(as_text=True)
    assert user_named(uow, "thungan").is_active
