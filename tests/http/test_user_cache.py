"""The logged-in user is read at most every few seconds, yet a change to them applies at the next request."""

from __future__ import annotations

from pos.auth.models import User

HEADERS = {"Accept": "application/json"}


def test_a_deactivated_cashier_is_out_at_the_next_request(auth, uow) -> None:
    cashier = auth.login("cashier", "thungan")
    assert auth.client.get("/till/api/search?q=x", headers=HEADERS).status_code == 200
    with uow() as s:
        s.get(User, cashier.id).is_active = False
    assert auth.client.get("/till/api/search?q=x", headers=HEADERS).status_code in (302, 401)


def test_a_new_role_applies_at_the_next_request(auth, uow) -> None:
    manager = auth.login("manager", "quanly")
    assert auth.client.get("/till/vat-rates").status_code == 200
    with uow() as s:
        s.get(User, manager.id).role = "cashier"
    assert auth.client.get("/till/vat-rates").status_code == 403
