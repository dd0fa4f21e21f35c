"""Screenshot every page of the menu as a cashier, a manager, an admin (and the central office) at four sizes.

Seeds the demo showroom (``pos seed-demo``: a year of history, the demo logins; here also two customers with some of
its latest sales) into a temporary folder, serves the real app with waitress on a free loopback port, logs in through
the form in headless Debian Chromium and follows every same-origin link of the menus and the home page (GET pages
only; logout and PDF/CSV/XLSX downloads skipped, page 2 of a list too), and from each list the first record of each
kind of detail page (a sale, a settlement, a customer...).
Each page is shot at 1024×768, 1280×800, 1366×768 and 1920×1080 into OUT/<role>/<page>-<width>.png, with its HTTP
status, its console errors, whether it scrolls sideways (scrollWidth > innerWidth) and whether a table scrolls
inside its frame (its last columns cut off from view). With PostgreSQL reachable (--central-pg, default the
machine's own) the central office is shot too, on a fresh, empty central database (its pages on hand-made networks:
tests/browser/test_office_pages_fit_browser.py, with POS_SCREENSHOTS=folder).

The last printed line is one JSON object: pages, screenshots, errors, overflowing, cut_off.

    .venv/bin/python bench/screens.py /tmp/shots [--roles cashier,manager,admin,central] [--no-central]
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.sync_api import Error as PlaywrightError

from pos import create_app
from pos.cli import _seed
from pos.db import ENGINE_KEY, session_scope
from pos.demo import DEMO_USERS
from pos.migrate import upgrade
from pos.threaded_server import ThreadedServer

SIZES = [(1024, 768), (1280, 800), (1366, 768), (1920, 1080)]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
SKIP = re.compile(r"(logout|\.pdf|\.csv|\.xlsx|\.json|\.xml|\.png|\.zip|/export|/download)", re.I)
PAGER = re.compile(r"(^|&)page=")  # page 2 of a list looks like page 1
ROLES = {"cashier": "thungan", "manager": "quanly", "admin": "admin"}
PASSWORDS = {username: password for username, _name, _role, password in DEMO_USERS}
CENTRAL_USER = ("vanphong", "matkhau123")
OVERFLOW_JS = "() => document.documentElement.scrollWidth > window.innerWidth"
# A wide table scrolls inside its frame (.table-wrap) rather than the page: its last columns are cut off from view.
CUT_OFF_JS = "() => [...document.querySelectorAll('.table-wrap')].some(e => e.scrollWidth > e.clientWidth)"


def slug(path: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_") or "home"


def menu_links(page: Any, origin: str, selector: str = "nav a[href], main a[href]") -> list[str]:
    """Same-origin hrefs of the menus (and the home page's tiles), in page order, without duplicates."""
    hrefs = page.eval_on_selector_all(selector, "els => els.map(e => e.href)")
    seen: list[str] = []
    for href in hrefs:
        parts = urlsplit(href)
        if f"{parts.scheme}://{parts.netloc}" != origin or SKIP.search(parts.path):
            continue
        if PAGER.search(parts.query):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path not in seen:
            seen.append(path)
    return seen


def shape(path: str) -> str:
    """/settlements/440 and /settlements/439 are the same page: numbers and codes of records folded."""
    return re.sub(r"/[^/]*\d[^/]*", "/N", urlsplit(path).path)


def detail_links(page: Any, origin: str, shapes: set[str]) -> list[str]:
    """The first record a list leads to (a sale, a settlement, a product...), one per kind of detail page."""
    found = []
    for link in menu_links(page, origin, "main table tbody a[href], main .tile[href]"):
        if "?" not in link and shape(link) not in shapes:
            shapes.add(shape(link))
            found.append(link)
    return found


def shoot_role(browser: Any, base: str, role: str, login: tuple[str, str], out: Path) -> list[dict[str, Any]]:
    context = browser.new_context(base_url=base, locale="vi-VN", accept_downloads=False)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto("/login")
    page.fill("input[name=username]", login[0])
    page.fill("input[name=password]", login[1])
    page.click("button[type=submit]")
    page.wait_for_load_state()
    if role == "cashier":  # the till and shift pages as at work: with a shift open, not the "open a shift" form
        page.goto("/shifts/open")
        page.fill("input[name=opening_float]", "1000000")
        page.click("form.form button[type=submit]")
        page.wait_for_load_state()
    paths = ["/login"] if role == "cashier" else []  # the login page once (shot logged in it redirects)
    paths += [urlsplit(page.url).path] + menu_links(page, base)
    rows = []
    folder = out / role
    folder.mkdir(parents=True, exist_ok=True)
    paths = list(dict.fromkeys(paths))
    shapes = {shape(path) for path in paths}
    for path in paths:  # grows: each page's own menus (till tabs, report tabs) are followed too
        if path == "/login":
            shot_context = browser.new_context(base_url=base, locale="vi-VN")
            target = shot_context.new_page()
        else:
            shot_context, target = None, page
        errors.clear()
        row: dict[str, Any] = {"role": role, "path": path, "status": 0, "errors": [], "overflow": [], "cut": []}
        for width, height in SIZES:
            target.set_viewport_size({"width": width, "height": height})
            try:
                response = target.goto(path)
            except PlaywrightError as exc:  # a download behind an innocent-looking link
                if "Download is starting" not in str(exc):
                    raise
                row["status"] = -1
                break
            if response is not None and not response.headers.get("content-type", "").startswith("text/html"):
                row["status"] = -1  # a PDF or a file shown by the browser (labels, a settlement's PDF), not a page
                break
            target.wait_for_load_state("networkidle")
            row["status"] = response.status if response else 0
            if target.evaluate(OVERFLOW_JS):
                row["overflow"].append(width)
            if target.evaluate(CUT_OFF_JS):
                row["cut"].append(width)
            target.screenshot(path=str(folder / f"{slug(path)}-{width}.png"), full_page=True)
        if path != "/login":
            paths += [link for link in menu_links(target, base, "nav a[href]") if link not in paths]
            paths += [link for link in detail_links(target, base, shapes) if link not in paths]
        row["errors"] = sorted(set(errors))
        if row["status"] != -1:
            rows.append(row)
        if shot_context is not None:
            shot_context.close()
    context.close()
    return rows


def showroom_server(tmp: Path) -> tuple[ThreadedServer, Any]:
    db = tmp / "instance" / "showroom.db"
    db.parent.mkdir(parents=True)
    url = f"sqlite:///{db.as_posix()}"
    upgrade(url)
    app = create_app(overrides={"INSTANCE_PATH": str(db.parent), "DATABASE_URL": url})
    _seed(app)
    demo_customers(app)
    return ThreadedServer(app), app


def demo_customers(app: Any) -> None:
    """A person and a company who bought some of the demo's latest sales: the demo has no customers, and without
    them the walk never reaches a customer's page (points, purchases, the erase button)."""
    from sqlmodel import select

    from pos.customers.models import SaleCustomer
    from pos.customers.services import save_customer
    from pos.sales.models import Sale

    with session_scope(app.extensions[ENGINE_KEY]) as s:
        person = save_customer(s, {"phone": "0912 345 678", "name": "Nguyễn Thị Hoa"}, None)
        company = save_customer(
            s,
            {
                "phone": "0987 654 321", "name": "Trần Văn Minh", "tax_code": "0101234567",
                "company_name": "Công ty TNHH Quà tặng Thủ công Mỹ nghệ Hà Thành",
                "address": "25 Hàng Bông, phường Hàng Gai, quận Hoàn Kiếm, Hà Nội",
            },
            None,
        )  # fmt: skip
        sales = s.exec(select(Sale).where(Sale.status == "completed").order_by(Sale.id.desc()).limit(12)).all()  # type: ignore[union-attr]
        for n, sale in enumerate(sales):
            s.add(SaleCustomer(sale_id=sale.id, customer_id=(company if n % 3 else person).id))
        person.points, company.points = 120, 1_250


def central_server(tmp: Path, pg: str) -> tuple[ThreadedServer, Any, str] | None:
    try:
        import psycopg

        with psycopg.connect(pg, connect_timeout=3, autocommit=True) as conn:
            name = f"pos_screens_{secrets.token_hex(4)}"
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as exc:  # noqa: BLE001 - no PostgreSQL here: the showroom alone
        print(f"central office skipped: {exc}")
        return None
    from pos.central.migrate import upgrade as central_upgrade
    from pos.central.users import create_central_user

    url = pg.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
    central_upgrade(url)
    app = create_app(overrides={"ROLE": "central", "INSTANCE_PATH": str(tmp / "central"), "DATABASE_URL": url})
    with session_scope(app.extensions[ENGINE_KEY]) as s:
        create_central_user(s, CENTRAL_USER[0], "Văn phòng", "manager", CENTRAL_USER[1])
    return ThreadedServer(app), app, name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--roles", default="cashier,manager,admin,central")
    parser.add_argument("--no-central", action="store_true")
    parser.add_argument("--central-pg", default="postgresql://postgres@127.0.0.1:5432/postgres")
    args = parser.parse_args()
    roles = [r for r in args.roles.split(",") if r and not (r == "central" and args.no_central)]
    from playwright.sync_api import sync_playwright

    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="pos-screens-") as tmp_name, sync_playwright() as p:
        tmp = Path(tmp_name)
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        server, app = showroom_server(tmp)
        try:
            for role in (r for r in roles if r in ROLES):
                rows += shoot_role(browser, server.url, role, (ROLES[role], PASSWORDS[ROLES[role]]), args.out)
        finally:
            server.close()
            app.extensions[ENGINE_KEY].dispose()
        central = central_server(tmp, args.central_pg) if "central" in roles else None
        if central is not None:
            cserver, capp, dbname = central
            try:
                rows += shoot_role(browser, cserver.url, "central", CENTRAL_USER, args.out)
            finally:
                cserver.close()
                capp.extensions[ENGINE_KEY].dispose()
                import psycopg

                with psycopg.connect(args.central_pg, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{dbname}" WITH (FORCE)')
        browser.close()

    print(f"{'role':8} {'status':6} {'errors':6} {'overflow at':18} {'cut off at':18} page")
    for row in rows:
        overflow = ",".join(map(str, row["overflow"])) or "-"
        cut = ",".join(map(str, row["cut"])) or "-"
        print(f"{row['role']:8} {row['status']:<6} {len(row['errors']):<6} {overflow:18} {cut:18} {row['path']}")
        for error in row["errors"]:
            print(f"{'':8} ! {error[:150]}")
    summary = {
        "pages": len(rows),
        "screenshots": len(rows) * len(SIZES),
        "errors": sum(1 for r in rows if r["errors"] or r["status"] >= 400),
        "overflowing": sum(1 for r in rows if r["overflow"]),
        "overflow_pages": [f"{r['role']}:{r['path']}@{min(r['overflow'])}" for r in rows if r["overflow"]],
        "cut_off": sum(1 for r in rows if r["cut"]),
        "cut_off_pages": [f"{r['role']}:{r['path']}@{max(r['cut'])}" for r in rows if r["cut"]],
        "error_pages": [f"{r['role']}:{r['path']}" for r in rows if r["errors"] or r["status"] >= 400],
        "out": str(args.out),
    }
    print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
