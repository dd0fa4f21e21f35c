"""Shared fixtures: a migrated SQLite file per test, the app on it, builders and a logged-in client."""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlmodel import Session

from pos import create_app
from pos.auth.models import User
from pos.auth.services import create_user
from pos.catalog.models import Producer, Product
from pos.db import ENGINE_KEY, make_engine, session_scope
from pos.migrate import upgrade
from pos.threaded_server import ThreadedServer

CSRF_RE = re.compile(r'name="csrf[_-]token" (?:value|content)="([^"]+)"')


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One database migrated to head, copied for each test (migrating per test is slow)."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade(f"sqlite:///{path.as_posix()}")
    return path


@pytest.fixture
def db_path(tmp_path: Path, migrated_template: Path) -> Path:
    """A fresh, migrated SQLite file for this test."""
    path = tmp_path / "instance" / "showroom.db"
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(migrated_template, path)
    return path


@pytest.fixture
def app_overrides() -> dict[str, Any]:
    """Config a test module can override (e.g. STOCK_ALLOW_NEGATIVE)."""
    return {}


@pytest.fixture
def app(db_path: Path, app_overrides: dict[str, Any]) -> Iterator[Flask]:
    """The showroom app on this test's database."""
    app = create_app(
        overrides={
            "TESTING": True,
            "INSTANCE_PATH": str(db_path.parent),
            "DATABASE_URL": f"sqlite:///{db_path.as_posix()}",
            **app_overrides,
        }
    )
    yield app
    app.extensions[ENGINE_KEY].dispose()


@pytest.fixture
def engine(db_path: Path) -> Iterator[Any]:
    """An engine on this test's database, for domain tests without the app."""
    eng = make_engine(f"sqlite:///{db_path.as_posix()}")
    yield eng
    eng.dispose()


@pytest.fixture
def second_engine(tmp_path: Path, migrated_template: Path) -> Iterator[Any]:
    """A second showroom's own migrated SQLite file (tests of several showrooms)."""
    path = tmp_path / "second" / "showroom.db"
    path.parent.mkdir()
    shutil.copyfile(migrated_template, path)
    eng = make_engine(f"sqlite:///{path.as_posix()}")
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Any) -> Iterator[Session]:
    """A session whose work is committed at the end of the test body's `with` blocks, if any."""
    with Session(engine.execution_options(pos_write=True), expire_on_commit=False) as session:
        yield session


@pytest.fixture
def uow(engine: Any) -> Callable[[], Any]:
    """A unit of work on this test's database: `with uow() as s: ...` commits or rolls back."""
    return lambda: session_scope(engine)


@pytest.fixture
def make_producer(engine: Any) -> Callable[..., Producer]:
    """Build and commit a producer."""
    counter = iter(range(1, 10_000))

    def build(**fields: Any) -> Producer:
        n = next(counter)
        values: dict[str, Any] = {"name": f"HTX Thử nghiệm {n}", "province": "Hà Nội", "commission_bp": 2000}
        values.update(fields)
        with session_scope(engine) as s:
            producer = Producer(**values)
            from pos.text import fold

            producer.name_search = fold(producer.name)
            s.add(producer)
        return producer

    return build


@pytest.fixture
def make_product(engine: Any, make_producer: Callable[..., Producer]) -> Callable[..., Product]:
    """Build and commit a product (and its producer unless one is given)."""
    counter = iter(range(1, 100_000))

    def build(**fields: Any) -> Product:
        n = next(counter)
        if "producer_id" not in fields:
            fields["producer_id"] = make_producer().id
        values: dict[str, Any] = {"sku": f"SP{n:05d}", "name": f"Sản phẩm thử {n}", "price_vnd": 50_000}
        values.update(fields)
        with session_scope(engine) as s:
            from pos.text import fold

            product = Product(**values)
            product.name_search = fold(product.name)
            s.add(product)
        return product

    return build


@pytest.fixture
def make_user(engine: Any) -> Callable[..., User]:
    """Build and commit a user; the password is the username + '-pass'."""

    def build(username: str, role: str = "cashier", full_name: str = "") -> User:
        with session_scope(engine) as s:
            return create_user(s, username, full_name or username.title(), role, f"{username}-pass")

    return build


class AuthActions:
    """Log a test client in and out, and post forms with their CSRF token (flaskr's AuthActions)."""

    def __init__(self, client: FlaskClient, make_user: Callable[..., User]) -> None:
        self.client = client
        self.make_user = make_user
        self.users: dict[str, User] = {}

    def csrf(self, path: str = "/login") -> str:
        """A CSRF token taken from a page, as a browser would."""
        html = self.client.get(path, follow_redirects=True).get_data(as_text=True)
        match = CSRF_RE.search(html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, role: str = "manager", username: str | None = None) -> User:
        """Create (once) and log in a user of ``role``."""
        username = username or role
        if username not in self.users:
            self.users[username] = self.make_user(username, role)
        response = self.client.post(
            "/login",
            data={"username": username, "password": f"{username}-pass", "csrf_token": self.csrf()},
        )
        assert response.status_code == 302, response.get_data(as_text=True)
        return self.users[username]

    def logout(self) -> None:
        """Log out through the form."""
        self.client.post("/logout", data={"csrf_token": self.csrf("/")})

    def post(self, path: str, data: dict[str, Any] | None = None, token_from: str | None = None, **kw: Any) -> Any:
        """POST a form with a CSRF token from ``token_from`` (default: the same path)."""
        payload = dict(data or {})
        payload["csrf_token"] = self.csrf(token_from or path)
        return self.client.post(path, data=payload, **kw)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A test client of the app."""
    return app.test_client()


@pytest.fixture
def auth(client: FlaskClient, make_user: Callable[..., User]) -> AuthActions:
    """Log in as a role: `auth.login("manager")`."""
    return AuthActions(client, make_user)


# --- Browser tests: waitress in a thread, Debian's Chromium driven by Playwright ---------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class LiveServer(ThreadedServer):
    """The app served by waitress on a free loopback port, in a background thread."""

    app: Flask


@pytest.fixture
def live_server(app: Flask) -> Iterator[LiveServer]:
    """The test's app over real HTTP."""
    server = LiveServer(app)
    yield server
    server.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium; browser tests skip with the reason where it is not installed."""
    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any, live_server: LiveServer, tmp_path: Path) -> Iterator[Any]:
    """A fresh browser tab (own cookies) pointed at the live server; `page.goto(live_server.url + path)`."""
    context = browser.new_context(base_url=live_server.url, accept_downloads=True, locale="vi-VN")
    tab = context.new_page()
    yield tab
    context.close()


def browser_login(page: Any, username: str, password: str) -> None:
    """Log in through the real form."""
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


# --- PostgreSQL and the central server: a database per test session, dropped afterwards ---------------------

PG_DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/postgres"


def pg_server_url() -> str:
    """The PostgreSQL server tests use: $POS_TEST_PG_URL, else the machine's own (trust auth, user postgres)."""
    import os

    return os.environ.get("POS_TEST_PG_URL", PG_DEFAULT_URL)


def pg_sqlalchemy_url(server: str, name: str) -> str:
    """The SQLAlchemy (psycopg 3) URL of database ``name`` on the server at libpq URL ``server``."""
    return server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"


@pytest.fixture(scope="session")
def pg_server() -> str:
    """The PostgreSQL server's URL; tests that need it skip, saying why, where it cannot be reached."""
    import psycopg

    url = pg_server_url()
    try:
        with psycopg.connect(url, connect_timeout=3, autocommit=True) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        pytest.skip(f"PostgreSQL is not reachable at {url} (set POS_TEST_PG_URL): {exc}".strip())
    return url


@pytest.fixture(scope="session")
def pg_database(pg_server: str) -> Iterator[Callable[[], str]]:
    """Factory of new empty databases ``pos_test_<hex>`` (SQLAlchemy URLs), all dropped at the session's end."""
    import secrets

    import psycopg

    created: list[str] = []

    def create() -> str:
        name = f"pos_test_{secrets.token_hex(6)}"
        with psycopg.connect(pg_server, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
            # Throwaway data: a commit need not wait for the disk.
            conn.execute(f'ALTER DATABASE "{name}" SET synchronous_commit TO off')
        created.append(name)
        return pg_sqlalchemy_url(pg_server, name)

    yield create
    with psycopg.connect(pg_server, autocommit=True) as conn:
        for name in created:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_url(pg_database: Callable[[], str]) -> str:
    """One empty PostgreSQL database for the test session."""
    return pg_database()


@pytest.fixture(scope="session")
def central_db_url(pg_database: Callable[[], str]) -> str:
    """A PostgreSQL database migrated to the central schema's head, shared by the session."""
    from pos.central.migrate import upgrade as central_upgrade

    url = pg_database()
    central_upgrade(url)
    return url


@pytest.fixture
def central_engine(central_db_url: str) -> Iterator[Any]:
    """An engine on the central test database with every table emptied first: each test starts clean."""
    from sqlalchemy import text

    from pos.central.models import metadata

    eng = make_engine(central_db_url)
    with eng.begin() as conn:  # DELETE, children first: far quicker than TRUNCATE on small tables
        for table in reversed(metadata.sorted_tables):
            conn.execute(text(f'DELETE FROM "{table.name}"'))
    yield eng
    eng.dispose()


@pytest.fixture
def central_app(central_db_url: str, central_engine: Any, tmp_path: Path) -> Iterator[Flask]:
    """The central server's app (role "central") on the emptied central test database."""
    app = create_app(
        overrides={
            "TESTING": True,
            "ROLE": "central",
            "INSTANCE_PATH": str(tmp_path / "central"),
            "DATABASE_URL": central_db_url,
        }
    )
    yield app
    app.extensions[ENGINE_KEY].dispose()
