"""No password, secret, token or credential reaches a log line."""

from __future__ import annotations

import logging

import pytest

from pos.security import RedactingFilter, redact

SECRETS = ["hunter2-Mat-Khau", "s3cr3t-value", "tok-ABC123", "Zm9vOmJhcg=="]


@pytest.mark.parametrize(
    "line",
    [
        "login form password=hunter2-Mat-Khau&username=thu",
        'payload {"username": "thu", "password": "hunter2-Mat-Khau"}',
        "form ImmutableMultiDict([('username', 'thu'), ('password', 'hunter2-Mat-Khau')])",
        "config {'SECRET_KEY': 's3cr3t-value', 'SHOWROOM_CODE': 'SR01'}",
        "headers Authorization: Bearer tok-ABC123",
        "headers {'Authorization': 'Basic Zm9vOmJhcg=='}",
        "sync X-Sync-Token: tok-ABC123 accepted",
        "csrf_token=tok-ABC123",
        "Cookie: session=tok-ABC123; other=1",
        "api_key: s3cr3t-value",
    ],
)
def test_redact_hides_the_value_and_keeps_the_rest(line: str) -> None:
    cleaned = redact(line)
    assert not any(secret in cleaned for secret in SECRETS), cleaned
    assert "***" in cleaned


def test_redact_leaves_ordinary_lines_alone() -> None:
    line = "POST /till/sales 200 receipt SR01-000123 total 1.250.000 ₫ by thungan"
    assert redact(line) == line


def test_password_hashes_are_hidden_too() -> None:
    cleaned = redact("INSERT ... ('thu', 'scrypt:32768:8:1$abcDEF$0123456789abcdef', 1)")
    assert "abcDEF" not in cleaned and "0123456789abcdef" not in cleaned


def test_filter_rewrites_args_and_tracebacks() -> None:
    record = logging.LogRecord("pos", logging.ERROR, __file__, 1, "login %s", ("password=hunter2-Mat-Khau",), None)
    try:
        raise ValueError("secret=s3cr3t-value")
    except ValueError:
        import sys

        record.exc_info = sys.exc_info()
    assert RedactingFilter().filter(record) is True
    assert "hunter2" not in record.getMessage()
    assert "s3cr3t-value" not in (record.exc_text or "")
    assert "ValueError" in (record.exc_text or "")


def test_no_password_or_secret_in_any_record_of_a_login(client, auth, make_user, app, caplog) -> None:
    """Log everything (SQL parameters included) while staff log in, fail and log out."""
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")  # SQL with its parameters
    user = make_user("thu", "manager")
    client.post("/login", data={"username": "thu", "password": "hunter2-Mat-Khau", "csrf_token": auth.csrf()})
    client.post("/login", data={"username": "thu", "password": "thu-pass", "csrf_token": auth.csrf()})
    client.post("/login", data={"username": "thu", "password": "thu-pass"})  # CSRF refused
    # Code that carelessly logs a whole form or header set is redacted as well.
    logging.getLogger("pos.sales").warning("form %s", {"username": "thu", "password": "thu-pass"})
    app.logger.info("headers %s", {"Authorization": "Bearer tok-ABC123", "Cookie": "session=tok-ABC123"})
    logging.getLogger("waitress").error("config SECRET_KEY=%s", app.secret_key)
    assert caplog.records, "nothing was logged: the test proves nothing"
    assert any(r.name.startswith("sqlalchemy.engine") for r in caplog.records)
    forbidden = ["hunter2-Mat-Khau", "thu-pass", "tok-ABC123", app.secret_key, user.password_hash]
    for record in caplog.records:
        text = record.getMessage() + (record.exc_text or "")
        for secret in forbidden:
            assert secret not in text, f"{secret!r} in log record {record.name}: {text}"
    assert caplog.text  # the formatted output too
    for secret in forbidden:
        assert secret not in caplog.text


def test_the_server_console_prints_each_line_once(tmp_path) -> None:
    """The served app logs through the root handler only; Flask's own handler no longer prints a second copy."""
    import subprocess
    import sys

    script = (
        "import logging\n"
        "from pos import create_app\n"
        "from pos.cli import _log_once\n"
        "app = create_app()\n"
        "_log_once(app)\n"
        "logging.getLogger('pos.backup').info('sao luu xong')\n"
        "app.logger.info('may chu chay')\n"
    )
    env = {"POS_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, check=True)
    console = out.stdout + out.stderr
    assert console.count("sao luu xong") == 1 and console.count("may chu chay") == 1, console
