"""The audit log page: managers read, filter and export it; nobody can change it through the app."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlmodel import select

from pos.audit import log as audit
from pos.audit.models import AuditEntry


def _entry(uow: Any, action: str, at: datetime, user_id: int | None = None, **kw: Any) -> int:
    with uow() as s:
        entry = audit.record(s, action, user_id=user_id, **kw)
        entry.at = at
        s.flush()
        return int(entry.id)


def _snapshot(uow: Any) -> list[tuple[Any, ...]]:
    with uow() as s:
        rows = s.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
        return [(e.id, e.uuid, e.at, e.user_id, e.action, e.entity, e.entity_id, e.before, e.after) for e in rows]


@pytest.fixture
def log(uow: Any, make_user: Any) -> dict[str, Any]:
    """A manager, a cashier and a few entries on known days (times in UTC; Hà Nội is UTC+7)."""
    boss = make_user("quanly", "manager", "Trần Văn Quản Lý")
    cashier = make_user("thungan", "cashier", "Nguyễn Thị Thu Ngân")
    ids = {
        "price": _entry(
            uow,
            "product.price",
            datetime(2026, 3, 5, 2, 0, tzinfo=UTC),  # 05/03/2026 09:00 in Hà Nội
            boss.id,
            entity="product",
            entity_id=17,
            before={"price_vnd": 45_000},
            after={"price_vnd": 50_000},
        ),
        "void": _entry(
            uow,
            "sale.void",
            datetime(2026, 3, 6, 16, 30, tzinfo=UTC),  # 06/03/2026 23:30 in Hà Nội
            boss.id,
            entity="sale",
            entity_id=8,
            before={"status": "completed"},
            after={"status": "voided", "reason": "Khách đổi ý", "receipt_number": "SR01-2026-000008"},
        ),
        "cash": _entry(
            uow,
            "cash.out",
            datetime(2026, 3, 6, 17, 30, tzinfo=UTC),  # 07/03/2026 00:30 in Hà Nội: the next local day
            cashier.id,
            entity="cashmovement",
            entity_id=3,
            after={"amount_vnd": 200_000, "reason": "Mua túi đựng hàng"},
        ),
        "failed": _entry(
            uow,
            "login.failed",
            datetime(2026, 3, 7, 1, 0, tzinfo=UTC),
            None,
            entity="user",
            entity_id="=HYPERLINK(1)",
        ),
    }
    return {"boss": boss, "cashier": cashier, "ids": ids}


def test_anonymous_goes_to_login_and_cashier_is_refused(client, auth, log) -> None:
    assert "/login" in client.get("/audit/").headers["Location"]
    auth.login("cashier", username="thungan2")
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/export.csv").status_code == 403
    assert client.get(f"/audit/{log['ids']['price']}").status_code == 403


def test_manager_reads_the_log_newest_first_in_vietnamese(client, auth, log) -> None:
    auth.login("manager", username="sep")
    html = client.get("/audit/").get_data(as_text=True)
    assert "Nhật ký thao tác" in html
    for label in ("Đổi giá bán", "Hủy đơn", "Rút tiền khỏi két", "Đăng nhập thất bại", "Đăng nhập"):
        assert label in html
    # newest first: the failed login (07/03 08:00) before the price change (05/03 09:00)
    assert html.index("07/03/2026 08:00") < html.index("07/03/2026 00:30") < html.index("05/03/2026 09:00")
    assert "45.000 ₫" in html and "50.000 ₫" in html  # before → after, as money
    assert "Trần Văn Quản Lý (quanly)" in html
    assert "Khách đổi ý" in html


def test_filter_by_action_user_entity_and_text(client, auth, log) -> None:
    auth.login("manager", username="sep")
    html = client.get("/audit/?action=sale.void").get_data(as_text=True)
    assert "Khách đổi ý" in html and "45.000 ₫" not in html
    html = client.get(f"/audit/?user={log['cashier'].id}").get_data(as_text=True)
    assert "Mua túi đựng hàng" in html and "Khách đổi ý" not in html
    html = client.get("/audit/?entity=product").get_data(as_text=True)
    assert "50.000 ₫" in html and "Mua túi" not in html
    html = client.get("/audit/?q=SR01-2026-000008").get_data(as_text=True)
    assert "Khách đổi ý" in html and "Mua túi" not in html
    html = client.get("/audit/?q=thungan").get_data(as_text=True)  # by the username of who did it
    assert "Mua túi" in html and "Khách đổi ý" not in html
    html = client.get("/audit/?q=100%25").get_data(as_text=True)  # LIKE wildcards are literal
    assert "Không có mục nào" in html


def test_filter_by_local_dates(client, auth, log) -> None:
    auth.login("manager", username="sep")
    html = client.get("/audit/?from=06/03/2026&to=06/03/2026").get_data(as_text=True)
    assert "Khách đổi ý" in html  # 23:30 on the 6th, local time
    assert "Mua túi" not in html  # 00:30 on the 7th, local time (still the 6th in UTC)
    assert "45.000 ₫" not in html
    html = client.get("/audit/?from=2026-03-07").get_data(as_text=True)  # a date picker's form
    assert "Mua túi" in html and "Khách đổi ý" not in html


@pytest.mark.parametrize(
    "query", ["from=32/13/2026", "to=abc", "from=07/03/2026&to=01/03/2026", "from=01/01/1900", "from=" + "9" * 200]
)
def test_bad_dates_are_explained_not_a_500(client, auth, log, query: str) -> None:
    auth.login("manager", username="sep")
    response = client.get(f"/audit/?{query}")
    assert response.status_code == 422
    assert "Ngày" in response.get_data(as_text=True) or "ngày" in response.get_data(as_text=True)
    assert client.get(f"/audit/export.csv?{query}").status_code == 422


@pytest.mark.parametrize(
    "query", ["page=abc", "page=-1", "page=0", "page=99999999999", "user=x", "action=%00", "q=%F0"]
)
def test_odd_parameters_do_not_break_the_page(client, auth, log, query: str) -> None:
    auth.login("manager", username="sep")
    assert client.get(f"/audit/?{query}").status_code == 200


def test_paging(client, auth, uow, log) -> None:
    for i in range(120):
        _entry(uow, "stock.adjust", datetime(2026, 4, 1, 3, 0, i % 60, tzinfo=UTC), entity="product", entity_id=i)
    auth.login("manager", username="sep")
    first = client.get("/audit/?action=stock.adjust").get_data(as_text=True)
    assert "trang 1 / 3" in first and "120 mục" in first
    third = client.get("/audit/?action=stock.adjust&page=3").get_data(as_text=True)
    assert third.count('class="audit-stock-adjust"') == 20
    assert "action=stock.adjust" in third  # the pager keeps the filter


def test_one_entry_in_full(client, auth, log) -> None:
    auth.login("manager", username="sep")
    html = client.get(f"/audit/{log['ids']['void']}").get_data(as_text=True)
    assert "Hủy đơn" in html and "Đơn bán hàng" in html
    assert "&#34;reason&#34;: &#34;Khách đổi ý&#34;" in html or '"reason": "Khách đổi ý"' in html  # pretty JSON
    assert client.get("/audit/999999").status_code == 404


def test_csv_export_follows_the_filter(client, auth, log) -> None:
    auth.login("manager", username="sep")
    response = client.get("/audit/export.csv?from=06/03/2026")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[0][0] == "Thời gian" and rows[0][2] == "Thao tác"
    actions = [row[3] for row in rows[1:]]
    assert "product.price" not in actions
    assert {"sale.void", "cash.out", "login.failed"} <= set(actions)
    failed = next(row for row in rows[1:] if row[3] == "login.failed")
    assert failed[5] == "'=HYPERLINK(1)"  # never a live formula in a spreadsheet
    assert failed[2] == "Đăng nhập thất bại"


UNSAFE = ["POST", "PUT", "PATCH", "DELETE"]


@pytest.mark.parametrize("method", UNSAFE)
def test_nobody_can_change_or_delete_the_log(client, auth, uow, log, method: str) -> None:
    auth.login("admin", username="quantri")  # even an admin
    token = auth.csrf("/audit/")  # a valid token, so only the missing route can refuse
    before = _snapshot(uow)
    entry_id = log["ids"]["price"]
    paths = [
        "/audit/",
        "/audit",
        f"/audit/{entry_id}",
        f"/audit/{entry_id}/edit",
        f"/audit/{entry_id}/delete",
        "/audit/export.csv",
        "/audit/delete",
        "/audit/clear",
    ]
    for path in paths:
        response = client.open(
            path,
            method=method,
            data={"action": "x", "before": "", "after": "", "csrf_token": token},
            headers={"Accept": "application/json"},
        )
        assert response.status_code in (404, 405), (method, path, response.status_code)
    assert _snapshot(uow) == before


def test_the_audit_blueprint_has_only_read_routes(app) -> None:
    rules = [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("audit.")]
    assert {rule.endpoint for rule in rules} == {"audit.index", "audit.show", "audit.export_csv"}
    for rule in rules:
        assert rule.methods <= {"GET", "HEAD", "OPTIONS"}, rule


def test_logins_appear_in_the_log(client, auth, make_user) -> None:
    make_user("lan", "manager")
    client.post("/login", data={"username": "lan", "password": "sai", "csrf_token": auth.csrf()})
    client.post("/login", data={"username": "lan", "password": "lan-pass", "csrf_token": auth.csrf()})
    html = client.get("/audit/?entity=user").get_data(as_text=True)
    assert "Đăng nhập thất bại" in html and "Lan (lan)" in html


def test_values_are_shown_in_the_words_of_their_field() -> None:
    from pos.audit.queries import describe_changes

    changes = {c.field: c for c in describe_changes("", '{"username": "admin", "role": "admin"}')}
    assert changes["username"].after == "admin"  # a username stays as typed
    assert changes["role"].after == "Quản trị"
    discount = {
        c.field: c.after
        for c in describe_changes(
            "", '{"kind": "percent", "value": 1500, "amount_vnd": 27000, "cashier_id": 4}', {4: "Lan"}
        )
    }
    assert discount == {"kind": "Theo phần trăm", "value": "15%", "amount_vnd": "27.000 ₫", "cashier_id": "Lan"}
    price = describe_changes('{"price_vnd": 45000}', '{"price_vnd": 50000}')[0]
    assert (price.label, price.before, price.after, price.changed) == ("Giá bán", "45.000 ₫", "50.000 ₫", True)
    assert describe_changes("not json", "")[0].before == "not json"
    closed = {
        c.field: (c.label, c.after)
        for c in describe_changes("", '{"period": {"start": "2026-11-01", "end": "2026-11-30"}, "till_id": 1}')
    }
    assert closed == {"period": ("Kỳ", "01/11/2026 – 30/11/2026"), "till_id": ("Quầy (mã nội bộ)", "1")}
    assert describe_changes("", '{"issued_on": "2026-03-05"}')[0].after == "05/03/2026"
    starts = describe_changes("", '{"starts_at": "2026-12-06 17:00:00+00:00"}')[0]
    assert (starts.label, starts.after) == ("Bắt đầu", "07/12/2026 00:00")  # UTC shown in Vietnam's time


def test_every_action_record_and_field_the_code_logs_has_a_vietnamese_label() -> None:
    """No raw key (``till_id``, ``settlement_close``) in the log a manager reads: every action, kind of record and
    field written by a ``record()`` call (imported as ``audit`` too) has a label; f-string actions are listed."""
    import ast
    from pathlib import Path

    import pos
    from pos.audit.queries import ACTION_LABELS, ENTITY_LABELS, FIELD_LABELS

    unlabelled = set()
    for path in Path(pos.__file__).parent.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            func = getattr(node, "func", None)
            if not isinstance(node, ast.Call) or getattr(func, "attr", getattr(func, "id", "")) not in (
                "record",
                "audit",
            ):
                continue
            action = node.args[1] if len(node.args) > 1 else None
            if isinstance(action, ast.Constant) and action.value not in ACTION_LABELS:
                unlabelled.add(f"{path.name}: action {action.value}")
            for keyword in node.keywords:
                value = keyword.value
                if keyword.arg == "entity" and isinstance(value, ast.Constant) and value.value not in ENTITY_LABELS:
                    unlabelled.add(f"{path.name}: entity {value.value}")
                if keyword.arg in ("before", "after"):
                    for sub in ast.walk(keyword.value):
                        if isinstance(sub, ast.Dict):
                            unlabelled |= {
                                f"{path.name}: field {k.value}"
                                for k in sub.keys
                                if isinstance(k, ast.Constant) and k.value not in FIELD_LABELS
                            }
    built = ["cash.in", "cash.out", "basket.assemble", "basket.disassemble", "login.failed", "till.add"]
    unlabelled |= {f"built: action {a}" for a in built if a not in ACTION_LABELS}
    assert not unlabelled, sorted(unlabelled)
