"""Who may use which route: a table of EVERY route of the showroom and of the central server, walked as every role.

Each rule names the lowest role that may use the route. The walk sends a GET, and a POST with a valid CSRF
token and an empty body, to every route as every role, with URL parameters filled from a small seeded
dataset, and checks the class of the answer:

- not logged in where a login is needed: 302 to the login page (or 401, the answer a JSON API may give);
- logged in below the rule: 403;
- allowed: neither 401 nor 403, never a 5xx, and not sent to the login page.

On the central server the roles are a central user (manager, admin) and a showroom's sync credential: the sync
API (/api/v1) answers 401 to anything not signed by a showroom, and the office's pages know no showroom.
A route added without a rule here fails: "route X has no rule in the permissions table".
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import select

from pos.inventory.models import Lot
from tests.conftest import CSRF_RE


@dataclass(frozen=True)
class Rule:
    """The lowest role that may use a route; ``refusals`` are answers that are the route's own "no"."""

    role: str
    refusals: frozenset[int] = field(default_factory=frozenset)
    ends_session: bool = False  # its answer is the login page itself (without ?next=)


ANYONE = Rule("anonymous")
LOGIN_FORM = Rule("anonymous", frozenset({401}))  # a wrong (here: empty) password is answered 401
CASHIER = Rule("cashier")
LOGOUT = Rule("cashier", ends_session=True)
MANAGER = Rule("manager")
ADMIN = Rule("admin")
SHOWROOM_KEY = Rule("showroom")  # signed by a showroom's sync credential

SHOWROOM_RULES: dict[str, Rule] = {
    # open to anyone
    "static": ANYONE,
    "main.healthz": ANYONE,
    "auth.login": LOGIN_FORM,
    # every member of staff
    "main.index": CASHIER,
    "auth.logout": LOGOUT,
    # the till and the cashier's shift
    "till.index": CASHIER,
    "till.api_cart": CASHIER,
    "till.api_scan": CASHIER,
    "till.scan_page": CASHIER,
    "till.api_lot": CASHIER,
    "till.api_add": CASHIER,
    "till.api_qty": CASHIER,
    "till.api_remove": CASHIER,
    "till.api_line_discount": CASHIER,
    "till.api_sale_discount": CASHIER,
    "till.api_clear": CASHIER,
    "till.api_park": CASHIER,
    "till.api_parked": CASHIER,
    "till.api_resume": CASHIER,
    "till.api_search": CASHIER,
    "till.api_vietqr": CASHIER,
    "till.api_checkout": CASHIER,
    "till.receipts": CASHIER,
    "till.receipt": CASHIER,
    "till.receipt_pdf": CASHIER,
    "till.reprint": CASHIER,
    "till.vat_rates": MANAGER,
    "till.clock_page": CASHIER,
    "shifts.index": CASHIER,  # a cashier is sent to their own shift
    "shifts.open_shift": CASHIER,
    "shifts.current": CASHIER,
    "shifts.cash_movement": CASHIER,
    "shifts.detail": CASHIER,  # their own shift; a manager any
    "shifts.x_pdf": CASHIER,
    "shifts.z_pdf": CASHIER,
    "shifts.close": CASHIER,
    "shifts.close_other": CASHIER,
    "shifts.new_return": CASHIER,
    "shifts.review_return": CASHIER,
    "shifts.create_return": CASHIER,
    "shifts.return_done": CASHIER,
    "shifts.return_pdf": CASHIER,
    "shifts.void_last": CASHIER,  # with a manager's credentials typed in
    # printing at the till, and the tills' printers
    "printing.queue_json": CASHIER,
    "printing.x_report": CASHIER,
    "printing.retry": CASHIER,
    "printing.reprint": CASHIER,
    "printing.receipt_png": CASHIER,
    "printing.receipt_print": CASHIER,
    "printing.customer_screen": CASHIER,
    "printing.open_drawer": CASHIER,  # with a manager's credentials typed in
    "printing.index": MANAGER,
    "printing.save": MANAGER,
    "printing.use_here": MANAGER,
    "printing.test_print": MANAGER,
    "printing.browser_test": MANAGER,
    "printing.test_png": MANAGER,
    # the back office
    "catalog.producers": MANAGER,
    "catalog.new_producer": MANAGER,
    "catalog.edit_producer": MANAGER,
    "catalog.certificates": MANAGER,
    "catalog.products": MANAGER,
    "catalog.new_product": MANAGER,
    "catalog.edit_product": MANAGER,
    "catalog.import_price_list": MANAGER,
    "catalog.confirm_import": MANAGER,
    "catalog.price_list_sample": MANAGER,
    "inventory.intakes": MANAGER,
    "inventory.intake": MANAGER,
    "inventory.new_intake": MANAGER,
    "inventory.api_lookup": MANAGER,
    "inventory.api_search": MANAGER,
    "inventory.api_create_product": MANAGER,
    "stock.index": MANAGER,
    "stock.product": MANAGER,
    "stock.adjust": MANAGER,
    "stock.count": MANAGER,
    "stock.expiry": MANAGER,
    "stock.lot": MANAGER,
    "stock.recall_lot": MANAGER,
    "stock.remove_lot": MANAGER,
    "stock.lot_csv": MANAGER,
    "stock.recall_search": MANAGER,
    "transfers.index": MANAGER,
    "transfers.new": MANAGER,
    "transfers.create": MANAGER,
    "transfers.show": MANAGER,
    "transfers.receive": MANAGER,
    "transfers.cancel": MANAGER,
    # stocktake: staff count at any till; a manager opens, approves, cancels
    "stocktake.index": MANAGER,
    "stocktake.start": MANAGER,
    "stocktake.detail": MANAGER,
    "stocktake.approve": MANAGER,
    "stocktake.cancel": MANAGER,
    "stocktake.count_page": CASHIER,
    "stocktake.count": CASHIER,
    "stocktake.correct": CASHIER,
    "labels.index": MANAGER,
    "baskets.index": MANAGER,
    "baskets.new": MANAGER,
    "baskets.edit": MANAGER,
    "baskets.show": MANAGER,
    "baskets.move": MANAGER,
    "promotions.index": MANAGER,
    "promotions.new": MANAGER,
    "promotions.edit": MANAGER,
    "promotions.report": MANAGER,
    "customers.index": MANAGER,
    "customers.show": MANAGER,
    "customers.export": MANAGER,
    "customers.erase": MANAGER,
    "orders.index": MANAGER,
    "orders.new": MANAGER,
    "orders.edit": MANAGER,
    "orders.show": MANAGER,
    "orders.pdf": MANAGER,
    "orders.confirm": MANAGER,
    "orders.payment": MANAGER,
    "orders.fulfil": MANAGER,
    "orders.cancel": MANAGER,
    "deliveries.pickups": CASHIER,
    "deliveries.deliver_form": CASHIER,
    "deliveries.deliver": CASHIER,
    "deliveries.note_pdf": CASHIER,
    "customers.till_attach": CASHIER,
    "customers.till_detach": CASHIER,
    "labels.print_chosen": MANAGER,
    "labels.for_intake": MANAGER,
    "labels.choose_for_intake": MANAGER,
    "reports.index": MANAGER,
    "reports.show": MANAGER,
    "reports.export": MANAGER,
    "settlement.index": MANAGER,
    "settlement.preview": MANAGER,
    "settlement.preview_pdf": MANAGER,
    "settlement.close": MANAGER,
    "settlement.show": MANAGER,
    "settlement.pdf": MANAGER,
    "settlement.paid": MANAGER,
    "settlement.return_goods": MANAGER,
    "sync.status": MANAGER,
    "sync.run_now": MANAGER,
    "sync.pull_catalog_now": MANAGER,
    "einvoice.index": MANAGER,
    "einvoice.detail": MANAGER,
    "einvoice.correct_buyer": MANAGER,
    "einvoice.resend": MANAGER,
    "einvoice.xml": MANAGER,
    "einvoice.export_day": MANAGER,
    "audit.index": MANAGER,
    "audit.show": MANAGER,
    "audit.export_csv": MANAGER,
    "staff.index": ADMIN,
    "staff.new": ADMIN,
    "staff.edit": ADMIN,
    "staff.set_active": ADMIN,
    "staff.password": ADMIN,
}

CENTRAL_RULES: dict[str, Rule] = {
    "static": ANYONE,
    "main.healthz": ANYONE,
    "auth.login": LOGIN_FORM,
    "auth.logout": Rule("manager", ends_session=True),
    "main.index": MANAGER,
    # the sync API: the document is public, everything else signed by a showroom
    "sync_api.openapi": ANYONE,
    "sync_api.push_batch": SHOWROOM_KEY,
    "sync_api.sync_state": SHOWROOM_KEY,
    "sync_api.get_catalog": SHOWROOM_KEY,
    "sync_api.get_transfers": SHOWROOM_KEY,
    # showrooms and their keys: everyone reads, an admin registers, rotates and revokes
    "office.showrooms": MANAGER,
    "office.showroom": MANAGER,
    "office.register_showroom": ADMIN,
    "office.rotate": ADMIN,
    "office.revoke": ADMIN,
    # the shared catalogue
    "office.catalog": MANAGER,
    "office.new_catalog_producer": MANAGER,
    "office.new_catalog_product": MANAGER,
    "office.promote": MANAGER,
    "office.links": MANAGER,
    "office.sync_issues": MANAGER,
    "office.link": MANAGER,
    # the office's reports over every showroom
    "office_reports.index": MANAGER,
    "office_reports.report": MANAGER,
    "office_reports.export": MANAGER,
    "office_reports.sales": MANAGER,
    "office_reports.sales_csv": MANAGER,
    "office_reports.receipt": MANAGER,
    "office_reports.customer": MANAGER,  # a customer's name, phone, company, tax code and purchases
    "office_reports.customer_csv": MANAGER,
    "office_reports.receipt_export": MANAGER,
    # the network's stock, transfers and settlements
    "office_network.index": MANAGER,
    "office_network.page": MANAGER,
    "office_network.export": MANAGER,
    # promotions set by the office for chosen showrooms
    "office_promotions.index": MANAGER,
    "office_promotions.new": MANAGER,
    "office_promotions.edit": MANAGER,
    "office_promotions.end": MANAGER,
    "office_promotions.results": MANAGER,  # what a promotion did in each showroom
    "office_promotions.results_export": MANAGER,
}

RANK = {"anonymous": 0, "showroom": 0, "cashier": 1, "manager": 2, "admin": 3}


def expected(rule: Rule, role: str) -> str:
    """'allow', 'login' (302 to the login page, or 401), 'unsigned' (401) or 'forbid' (403)."""
    if rule.role == "anonymous":
        return "allow"
    if rule.role == "showroom":
        return "allow" if role == "showroom" else "unsigned"
    if role in ("anonymous", "showroom"):
        return "login"
    return "allow" if RANK[role] >= RANK[rule.role] else "forbid"


def verdict(response: Any, expect: str, rule: Rule) -> str | None:
    """None when the answer is of the expected class, else what is wrong with it."""
    status = response.status_code
    to_login = status == 302 and "/login" in response.headers.get("Location", "")
    if status >= 500:
        return f"{status} (server error)"
    if expect == "login":
        return None if to_login or status == 401 else f"{status}, expected 302 to the login page or 401"
    if expect == "unsigned":
        return None if status == 401 else f"{status}, expected 401"
    if expect == "forbid":
        return None if status == 403 else f"{status}, expected 403"
    if status in rule.refusals:
        return None
    if rule.ends_session and to_login and "next=" not in response.headers["Location"]:
        return None
    if status in (401, 403) or to_login:
        return f"{status} {response.headers.get('Location', '')}, expected to be let in".strip()
    return None


def missing_rules(app: Flask, rules: dict[str, Rule]) -> list[str]:
    """Routes of the app that the table does not cover."""
    return [
        f"route {rule.rule} ({rule.endpoint}) has no rule in the permissions table"
        for rule in app.url_map.iter_rules()
        if rule.endpoint not in rules
    ]


def fill(rule: Any, params: dict[str, Any], per_endpoint: dict[str, dict[str, Any]]) -> str:
    """The route's path with its URL parameters taken from the seeded data."""
    values = {}
    for name in rule.arguments:
        value = per_endpoint.get(rule.endpoint, {}).get(name, params.get(name))
        if value is None:
            raise AssertionError(f"no value for URL parameter <{name}> of {rule.rule}: add one to the test's params")
        values[name] = value
    return rule.build(values, append_unknown=False)[1]


@dataclass
class Visitor:
    """A test client acting as one role, with its CSRF token; logs in again if a request logged it out."""

    role: str
    client: FlaskClient
    token: str
    login: Callable[[], None] | None = None
    sign: Callable[[str, str, bytes], dict[str, str]] | None = None

    def request(self, method: str, path: str) -> Any:
        if self.sign is not None and path.startswith("/api/"):  # a showroom's sync client: signed, no cookie
            body = b"{}" if method == "POST" else b""
            return self.client.open(path, method=method, data=body, headers=self.sign(method, path, body))
        if method == "GET":
            return self.client.get(path)
        return self.client.post(path, data={"csrf_token": self.token}, headers={"X-CSRFToken": self.token})

    def still_logged_in(self) -> None:
        if self.login is None:
            return
        with self.client.session_transaction() as session:
            logged_in = "_user_id" in session
        if not logged_in:
            self.login()


def walk(
    app: Flask,
    rules: dict[str, Rule],
    visitors: list[Visitor],
    params: dict[str, Any],
    per_endpoint: dict[str, dict[str, Any]] | None = None,
) -> tuple[list[str], int]:
    """Every route, every method, as every visitor: the wrong answers found, and how many requests were sent."""
    wrong, sent = [], 0
    for url_rule in sorted(app.url_map.iter_rules(), key=lambda r: (r.rule, r.endpoint)):
        rule = rules[url_rule.endpoint]
        path = fill(url_rule, params, per_endpoint or {})
        for method in sorted((url_rule.methods or set()) & {"GET", "POST"}):
            for visitor in visitors:
                response = visitor.request(method, path)
                response.get_data()  # a streamed download runs to its end inside its request
                response.close()
                sent += 1
                problem = verdict(response, expected(rule, visitor.role), rule)
                if problem:
                    wrong.append(
                        f"{method} {path} as {visitor.role} ({rule.role} route {url_rule.endpoint}): {problem}"
                    )
                visitor.still_logged_in()
    return wrong, sent


def csrf_token(client: FlaskClient) -> str:
    match = CSRF_RE.search(client.get("/login").get_data(as_text=True))
    assert match, "no CSRF token on /login"
    return match.group(1)


def logged_in(app: Flask, role: str, username: str | None, password: str | None) -> Visitor:
    """A visitor of ``role``; logged in through the real form when it has a username."""
    client = app.test_client()
    token = csrf_token(client)
    visitor = Visitor(role, client, token)
    if username:

        def login() -> None:
            response = client.post("/login", data={"username": username, "password": password, "csrf_token": token})
            assert response.status_code == 302, f"login of {username}: {response.status_code}"

        login()
        visitor.login = login
    return visitor


# --- The showroom --------------------------------------------------------------------------------------------


@pytest.fixture
def shop(app: Flask, uow: Callable[[], Any], make_user: Callable[..., Any]) -> dict[str, Any]:
    """A small showroom: staff, a product received, a sale and a return in an open shift, a settlement."""
    from pos.audit.models import AuditEntry
    from pos.catalog.services import ProducerInput, ProductInput, create_producer, create_product
    from pos.einvoice.models import Invoice
    from pos.einvoice.settings import settings_or_none
    from pos.inventory.intake import IntakeLineInput, receive_stock
    from pos.reports.period import Period, shop_timezone
    from pos.sales.cart import get_or_create_active_cart, park
    from pos.sales.checkout import complete_sale
    from pos.sales.models import CartLine
    from pos.sales.pricing import PaymentInput
    from pos.sales.returns import create_return
    from pos.sales.scanning import add_product
    from pos.sales.shifts import open_shift
    from pos.settlement.services import close_settlement

    cashier = make_user("thungan", "cashier")
    manager = make_user("quanly", "manager")
    make_user("quantri", "admin")
    today = date.today()
    with uow() as s:
        producer = create_producer(s, ProducerInput(name="HTX Mật ong Mèo Vạc", province="Hà Giang"), manager.id)
        product = create_product(
            s, ProductInput(name="Mật ong bạc hà", producer_id=producer.id, price_vnd=185_000), manager.id
        )
        intake = receive_stock(
            s,
            producer.id,
            today,
            "PGH-1",
            [IntakeLineInput(product_id=product.id, qty=20, unit_cost_vnd=120_000, expiry_date=today + timedelta(400))],
            manager.id,
            today=today,
        )
        settlement = close_settlement(
            s,
            producer.id,  # type: ignore[arg-type]
            Period(today - timedelta(days=60), today - timedelta(days=31), shop_timezone("Asia/Ho_Chi_Minh")),
            manager.id,
            today=today,
            showroom_code="SR01",
        )
        shift = open_shift(s, cashier.id, 500_000)
        cart = get_or_create_active_cart(s, cashier.id)
        add_product(s, cart, product.id, 2)  # type: ignore[arg-type]
        sale = complete_sale(
            s,
            cart_id=cart.id,  # type: ignore[arg-type]
            payments=[PaymentInput("cash", 370_000)],
            cashier_id=cashier.id,
            idempotency_key=str(uuid4()),
            showroom_code="SR01",
            allow_negative=False,
            now=datetime.now(UTC),
            einvoice=settings_or_none(app.config),
        )
        invoice_id = s.exec(select(Invoice.id).where(Invoice.sale_id == sale.id)).one()
        refund = create_return(s, sale.receipt_number, {1: 1}, "cash", "Hộp bị móp", cashier.id, shift, str(uuid4()))
        parked_cart = get_or_create_active_cart(s, cashier.id)
        add_product(s, parked_cart, product.id, 1)  # type: ignore[arg-type]
        line_id = s.exec(select(CartLine.id).where(CartLine.cart_id == parked_cart.id)).one()
        park(s, parked_cart, "Khách quay lại")
        entry_id = s.exec(select(AuditEntry.id)).first()
        lot = Lot(product_id=product.id, lot_code="L1")  # a lot page to visit (its product need not be food)
        s.add(lot)
        s.flush()
    return {
        "params": {
            "filename": "css/app.css",
            "producer_id": producer.id,
            "product_id": product.id,
            "basket_id": product.id,  # not a basket: a manager is told so (404), anyone else refused first
            "action": "assemble",
            "promotion_id": 1,  # none set: a manager is told so (404)
            "customer_id": 1,  # none yet: 404
            "order_id": 1,  # none yet: 404 (a step on it: told so on the page it returns to)
            "intake_id": intake.id,
            "settlement_id": settlement.id,
            "shift_id": shift.id,
            "number": sale.receipt_number,
            "line_id": line_id,
            "cart_id": parked_cart.id,
            "entry_id": entry_id,
            "lot_id": lot.id,
            "invoice_id": invoice_id,
            "user_id": cashier.id,  # has an open shift: a stray deactivation is refused
            "name": "daily",
            "fmt": "csv",
            "till_id": 1,
            "job_id": 1,
            "transfer_id": 1,  # none yet: a manager gets 404, others the usual refusal
            "stocktake_id": 1,  # none yet: 404
            "delivery_id": 1,  # none yet: 404
        },
        "per_endpoint": {
            "shifts.return_done": {"number": refund.return_number},
            "shifts.return_pdf": {"number": refund.return_number},
        },
    }


def test_every_showroom_route_has_a_rule(app: Flask) -> None:
    assert missing_rules(app, SHOWROOM_RULES) == []
    stale = sorted(set(SHOWROOM_RULES) - {r.endpoint for r in app.url_map.iter_rules()})
    assert not stale, f"rules for routes that no longer exist: {stale}"


def test_every_showroom_route_answers_every_role_as_the_table_says(app: Flask, shop: dict[str, Any]) -> None:
    assert missing_rules(app, SHOWROOM_RULES) == []
    visitors = [
        logged_in(app, "anonymous", None, None),
        logged_in(app, "cashier", "thungan", "thungan-pass"),
        logged_in(app, "manager", "quanly", "quanly-pass"),
        logged_in(app, "admin", "quantri", "quantri-pass"),
    ]
    wrong, sent = walk(app, SHOWROOM_RULES, visitors, shop["params"], shop["per_endpoint"])
    assert not wrong, "\n".join(wrong)
    assert sent >= 4 * len(SHOWROOM_RULES)


def test_a_route_without_a_rule_fails_the_walk(app: Flask) -> None:
    app.add_url_rule("/new-page", "new.page", lambda: "mới")
    assert missing_rules(app, SHOWROOM_RULES) == ["route /new-page (new.page) has no rule in the permissions table"]


@pytest.mark.parametrize(
    ("rule", "role", "status", "location", "wrong"),
    [
        (MANAGER, "cashier", 200, "", True),  # a back-office page open to a cashier
        (MANAGER, "cashier", 403, "", False),
        (MANAGER, "anonymous", 200, "", True),
        (MANAGER, "anonymous", 302, "/login?next=%2F", False),
        (CASHIER, "manager", 500, "", True),
        (CASHIER, "manager", 302, "/login", True),  # let in means not sent to log in
        (LOGIN_FORM, "cashier", 401, "", False),
        (SHOWROOM_KEY, "manager", 302, "/login", True),
        (LOGOUT, "cashier", 302, "/login", False),
        (LOGOUT, "cashier", 302, "/login?next=%2Flogout", True),
    ],
)
def test_the_verdict_tells_a_wrong_answer(rule: Rule, role: str, status: int, location: str, wrong: bool) -> None:
    class Answer:
        status_code = status
        headers = {"Location": location} if location else {}

    assert (verdict(Answer(), expected(rule, role), rule) is not None) is wrong


# --- The central server --------------------------------------------------------------------------------------


@pytest.fixture
def office(central_app: Flask) -> Iterator[dict[str, Any]]:
    """The central server with its users, two showrooms (one whose key the walk may revoke) and a pushed day."""
    from pos.central import credentials
    from pos.central.models import Sale as CentralSale
    from pos.central.office.views import PAGES
    from pos.central.users import create_central_user
    from pos.db import ENGINE_KEY, session_scope
    from pos.sync import signing
    from pos.sync.samples import SampleShowroom, batch_document

    engine = central_app.extensions[ENGINE_KEY]
    with session_scope(engine) as s:
        create_central_user(s, "vanphong", "Văn phòng", "manager", "vanphong-pass")
        create_central_user(s, "quantri", "Quản trị", "admin", "quantri-pass")
        issued = credentials.register_showroom(s, "SR01", "Cửa hàng SR01", "Hà Nội")
        credentials.register_showroom(s, "SR09", "Cửa hàng thử khóa", "Hà Nội")
    key = signing.derive_key(issued.secret, "SR01")

    def sign(method: str, path: str, body: bytes) -> dict[str, str]:
        return {**signing.signed_headers(key, "SR01", method, path, body), "Content-Type": "application/json"}

    at = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
    shop = SampleShowroom("SR01", seed=3)
    body = json.dumps(
        batch_document("SR01", shop.catalogue_records(at) + shop.day(date(2026, 11, 20), sales=5))
    ).encode()
    pushed = central_app.test_client().post(
        "/api/v1/sync/batches", data=body, headers=sign("POST", "/api/v1/sync/batches", body)
    )
    assert pushed.status_code == 200, pushed.get_data(as_text=True)
    with session_scope(engine) as s:
        sale_uuid = s.exec(select(CentralSale.uuid)).first()
    yield {
        "sign": sign,
        "params": {
            "filename": "css/app.css",
            "code": "SR09",
            "slug": next(iter(PAGES)),
            "fmt": "csv",
            "sale_uuid": sale_uuid,
            "customer_uuid": uuid4(),  # none sent: a central user is told so (404), anyone else refused first
            "promotion_id": 1,
        },
    }


@pytest.mark.postgres
def test_every_central_route_has_a_rule(central_app: Flask) -> None:
    assert missing_rules(central_app, CENTRAL_RULES) == []
    stale = sorted(set(CENTRAL_RULES) - {r.endpoint for r in central_app.url_map.iter_rules()})
    assert not stale, f"rules for routes that no longer exist: {stale}"


@pytest.mark.postgres
def test_every_central_route_answers_every_role_as_the_table_says(central_app: Flask, office: dict[str, Any]) -> None:
    assert missing_rules(central_app, CENTRAL_RULES) == []
    showroom = logged_in(central_app, "showroom", None, None)  # elsewhere than the API: a browser without a login
    showroom.sign = office["sign"]
    visitors = [
        logged_in(central_app, "anonymous", None, None),
        showroom,
        logged_in(central_app, "manager", "vanphong", "vanphong-pass"),
        logged_in(central_app, "admin", "quantri", "quantri-pass"),
    ]
    wrong, sent = walk(central_app, CENTRAL_RULES, visitors, office["params"])
    assert not wrong, "\n".join(wrong)
    assert sent >= 4 * len(CENTRAL_RULES)
