"""The `pos` command: migrate, create users, seed demo data, serve with waitress."""

from __future__ import annotations

import errno
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

import click
from flask import Flask

from pos import create_app


class Context:
    """Holds the --config path; the app is built only when a command needs it."""

    def __init__(self, config: Path | None) -> None:
        self.config = config
        self._app: Flask | None = None

    @property
    def app(self) -> Flask:
        if self._app is None:
            self._app = create_app(self.config)
        return self._app

    def close(self) -> None:
        """When the command ends: give back the database lock the app took (a served app keeps it)."""
        lock = self._app.extensions.pop("pos.db_lock", None) if self._app is not None else None
        if lock is not None:
            from pos.backup import release_database_lock

            release_database_lock(lock)


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="POS_CONFIG",
    help="Path of config.toml (default: the one beside the package, or $POS_CONFIG).",
)
@click.pass_context
def main(ctx: click.Context, config: Path | None) -> None:
    """OCOP showroom point of sale."""
    ctx.obj = Context(config)
    ctx.call_on_close(ctx.obj.close)


@main.command()
@pass_ctx
def migrate(ctx: Context) -> None:
    """Apply database migrations up to the newest (the central server's own on a role = "central" install)."""
    if ctx.app.config.get("ROLE", "showroom") == "central":
        click.get_current_context().invoke(central_migrate)  # the same as `pos central-migrate`
        return
    from pos.migrate import upgrade

    upgrade(ctx.app.config["DATABASE_URL"])
    click.echo("Cơ sở dữ liệu đã cập nhật (migrations applied).")


@main.command()
@click.option(
    "--to",
    "folder",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Folder to write to (config: backup.folder), e.g. a USB drive.",
)
@pass_ctx
def backup(ctx: Context, folder: Path | None) -> None:
    """Back up the showroom database now; safe while the till is selling. Prints the file written."""
    from pos.backup import BackupError, backup_now
    from pos.config import load_config

    try:
        written = backup_now(load_config(ctx.config), folder)
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(str(written))


@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@pass_ctx
def restore(ctx: Context, file: Path, yes: bool) -> None:
    """Put a backup back in place of the database (stop the server first); the current one is kept aside."""
    from pos.backup import BackupError, check_backup, config_db_path, restore_database, showroom_now
    from pos.config import load_config

    config = load_config(ctx.config)  # not ctx.app: the app would hold the database lock
    try:
        db_path = config_db_path(config)
        check_backup(file)
        if not yes:
            click.confirm(
                f"Khôi phục dữ liệu từ {file} thay cho {db_path}?\n"
                "Dữ liệu hiện tại sẽ được giữ lại bên cạnh (showroom.db.before-restore-...). Tiếp tục",
                abort=True,
            )
        result = restore_database(file, db_path, now=showroom_now(config))
    except BackupError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"Đã khôi phục {result.restored} từ {file}.")
    if result.previous:
        click.echo(f"Dữ liệu cũ được giữ tại {result.previous}.")


@main.command("create-user")
@click.argument("username")
@click.option("--name", "full_name", default="", help="Full name shown on receipts.")
@click.option("--role", type=click.Choice(["cashier", "manager", "admin"]), default="cashier", show_default=True)
@click.password_option(help="Password (asked twice when not given).")
@pass_ctx
def create_user_cmd(ctx: Context, username: str, full_name: str, role: str, password: str) -> None:
    """Create a member of staff."""
    from pos.auth.services import create_user
    from pos.db import ENGINE_KEY, session_scope
    from pos.errors import PosError

    try:
        with session_scope(ctx.app.extensions[ENGINE_KEY]) as session:
            create_user(session, username, full_name, role, password)
    except PosError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Đã tạo người dùng {username} ({role}).")


@main.command("seed-demo")
@pass_ctx
def seed_demo(ctx: Context) -> None:
    """Fill an empty database with a demo showroom (does nothing if products exist)."""
    _seed(ctx.app)


def _seed(app: Flask) -> None:
    from sqlalchemy import func
    from sqlmodel import select

    from pos.catalog.models import Product
    from pos.db import ENGINE_KEY, session_scope
    from pos.demo import DEMO_USERS, demo_users, seed
    from pos.demo_history import Staff
    from pos.sales.zreport import showroom_snapshot

    started = time.perf_counter()
    with session_scope(app.extensions[ENGINE_KEY]) as session:
        if not session.scalar(select(func.count()).select_from(Product)):
            click.echo("Đang tạo dữ liệu mẫu: sản phẩm và một năm bán hàng…")
        users = demo_users(session)
        staff = Staff((users["thungan"].id, users["thungan2"].id), users["quanly"].id)  # type: ignore[arg-type]
        created = seed(session, staff=staff, showroom=showroom_snapshot(app.config))
    seconds = f"{time.perf_counter() - started:.1f}".replace(".", ",")
    click.echo(
        f"Đã tạo dữ liệu mẫu (một năm bán hàng) trong {seconds} giây."
        if created
        else "Dữ liệu mẫu đã có sẵn; không tạo lại."
    )
    click.echo("Tài khoản mẫu (demo logins):")
    for username, _name, role, password in DEMO_USERS:
        click.echo(f"  {role:8} {username} / {password}")


@main.command()
@click.option("--host", default=None, help="Address to listen on (config: server.host).")
@click.option("--port", type=int, default=None, help="Port (config: server.port).")
@click.option("--threads", type=int, default=None, help="Worker threads (config: server.threads).")
@pass_ctx
def serve(ctx: Context, host: str | None, port: int | None, threads: int | None) -> None:
    """Serve the app with waitress."""
    _serve(ctx.app, host, port, threads)


def _log_once(app: Flask) -> None:
    """Every log line printed once, with the time: the console handler on the root logger only.

    Flask gives its app logger ("pos") a handler of its own; records of pos.backup and pos.sync reached it and,
    propagating, the root handler too, so the server's console printed them twice.
    """
    from flask.logging import default_handler

    app.logger.removeHandler(default_handler)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", force=True)


def _port_in_use(host: str, port: int) -> bool:
    """Whether another program already listens on host:port (asked before waitress, which raises mid-setup)."""
    family, kind, proto, _name, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    with socket.socket(family, kind, proto) as probe:
        if os.name != "nt":  # as waitress binds: a port left in TIME_WAIT is free
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
                return True
            raise
    return False


def _serve(app: Flask, host: str | None, port: int | None, threads: int | None) -> None:
    from waitress.server import create_server

    host = host or app.config.get("SERVER_HOST", "127.0.0.1")
    port = port or int(app.config.get("SERVER_PORT", 8000))
    if _port_in_use(host, port):
        click.echo(
            f"Cổng {port} đang được một chương trình khác dùng (có thể là một cửa hàng đang chạy sẵn). "
            f"Hãy dừng chương trình đó, hoặc chọn cổng khác, ví dụ: POS_SERVER_PORT={port + 80} .venv/bin/pos "
            f"{click.get_current_context().info_name}",
            err=True,
        )
        raise SystemExit(1)
    server = create_server(app, host=host, port=port, threads=threads or int(app.config.get("SERVER_THREADS", 8)))
    click.echo(f"Đang chạy tại http://{host}:{port}  (Ctrl+C để dừng)")
    _log_once(app)
    server.run()


@main.command()
@click.option("--no-serve", is_flag=True, help="Prepare everything but do not start the server.")
@pass_ctx
def demo(ctx: Context, no_serve: bool) -> None:
    """Migrate, seed the demo showroom (once), print the demo logins and serve."""
    from pos.migrate import upgrade

    click.echo("Đang tạo hoặc nâng cấp cơ sở dữ liệu…")
    upgrade(ctx.app.config["DATABASE_URL"])
    _seed(ctx.app)
    if not no_serve:
        _serve(ctx.app, None, None, None)


# --- Sync: the showroom's `pos sync`, and the central server's commands ----------------------------------------


def _require_role(app: Flask, role: str) -> None:
    """Refuse a command meant for the other role."""
    actual = app.config.get("ROLE", "showroom")
    if actual == role:
        return
    if role == "central":
        raise click.ClickException(
            'Lệnh này chỉ dùng cho máy chủ trung tâm (role = "central" trong config.toml, hoặc POS_ROLE=central).'
        )
    raise click.ClickException('Lệnh này chỉ dùng ở cửa hàng (role = "showroom").')


def _engine(app: Flask) -> Any:
    from pos.db import ENGINE_KEY

    return app.extensions[ENGINE_KEY]


@main.command("einvoice")
@click.option("--set-credentials", is_flag=True, help="Store the provider's user name and password (asked).")
@click.option("--send", is_flag=True, help="Send the invoices due now to the provider.")
@pass_ctx
def einvoice_cmd(ctx: Context, set_credentials: bool, send: bool) -> None:
    """E-invoices: the queue's state; store the provider account; send now (exit status 1 if nothing answered)."""
    from pos.db import session_scope
    from pos.einvoice import manage
    from pos.einvoice.models import STATES
    from pos.einvoice.sender import drain, make_provider
    from pos.einvoice.settings import read_settings, save_credentials
    from pos.errors import PosError

    app = ctx.app
    _require_role(app, "showroom")
    if set_credentials:
        username = click.prompt("Tên đăng nhập của nhà cung cấp hóa đơn điện tử")
        password = click.prompt("Mật khẩu", hide_input=True)
        try:
            path = save_credentials(app.config, username, password)
        except PosError as exc:
            raise click.ClickException(exc.message) from exc
        click.echo(f"Đã lưu tài khoản nhà cung cấp vào {path}.")
        return
    if send:
        try:
            settings = read_settings(app.config)
        except PosError as exc:
            raise click.ClickException(exc.message) from exc
        provider = make_provider(settings, app.config)
        if provider is None:
            raise click.ClickException(
                "Chưa có provider_url hoặc tài khoản nhà cung cấp (pos einvoice --set-credentials)."
            )
        result = drain(_engine(app), provider, settings)
        click.echo(
            f"Đã tiếp nhận {result.accepted}, bị từ chối {result.rejected}, chưa có trả lời {result.unanswered}."
        )
        if result.unanswered and not result.accepted:
            raise click.ClickException(result.errors[0] if result.errors else "Nhà cung cấp không trả lời.")
        return
    with session_scope(_engine(app), write=False) as session:
        summary = manage.summary(session)
    for state, label in STATES.items():
        click.echo(f"{label}: {summary.counts[state]}")
    if summary.oldest_waiting_at:
        click.echo(f"Chờ gửi lâu nhất từ: {summary.oldest_waiting_at:%d/%m/%Y %H:%M} (UTC)")


@main.command("sync")
@click.option("--set-secret", is_flag=True, help="Store the sync secret the central office issued (asked, hidden).")
@click.option("--catalog-only", is_flag=True, help="Only pull the shared catalogue.")
@click.option("--push-only", is_flag=True, help="Only push the unsent records.")
@click.option("--status", "show_status", is_flag=True, help="Show where the sync stands, change nothing.")
@pass_ctx
def sync_cmd(ctx: Context, set_secret: bool, catalog_only: bool, push_only: bool, show_status: bool) -> None:
    """Send unsent records to the central server and pull the shared catalogue (exit status 1 on failure)."""
    from pos.db import session_scope
    from pos.sync import signing
    from pos.sync.client import SyncSettings, get_state, run_sync, save_secret, to_send_count

    app = ctx.app
    _require_role(app, "showroom")
    if set_secret:
        secret = click.prompt("Khóa đồng bộ do văn phòng trung tâm cấp", hide_input=True)
        try:
            path = save_secret(app.config, secret)
        except ValueError as exc:
            raise click.ClickException(str(exc)) from exc
        key_id = signing.key_id(signing.derive_key(secret.strip(), str(app.config.get("SHOWROOM_CODE", ""))))
        click.echo(f"Đã lưu khóa đồng bộ (dấu nhận dạng {key_id}) vào {path}.")
        return
    if show_status:
        from pos.web import local_time

        tz = str(app.config.get("SHOWROOM_TIMEZONE", "Asia/Ho_Chi_Minh"))

        def shown(at: Any) -> str:
            local = local_time(at, tz)
            return f"{local:%d/%m/%Y %H:%M:%S} (giờ cửa hàng)" if local else "chưa lần nào"

        with session_scope(_engine(app), write=False) as session:
            # What the next push sends: the unsent records and what it enqueues first (audit, first snapshot).
            state, waiting = get_state(session), to_send_count(session)
        click.echo(f"Lần đồng bộ thành công gần nhất: {shown(state.last_success_at)}")
        click.echo(f"Bản ghi sẽ gửi ở lần đồng bộ tới: {waiting}")
        if state.last_error:
            click.echo(f"Lỗi gần nhất ({shown(state.last_error_at)}): {state.last_error}")
        return
    settings = SyncSettings.from_config(app.config)
    result = run_sync(_engine(app), settings, push=not catalog_only, pull=not push_only)
    if not result.ok:
        raise click.ClickException(f"Đồng bộ dữ liệu chưa xong: {result.error}")
    click.echo(
        f"Đồng bộ dữ liệu xong: đã gửi {result.pushed} bản ghi ({result.batches} gói, {result.duplicates} đã có sẵn); "
        f"danh mục chung: {result.products_pulled} sản phẩm, {result.producers_pulled} nhà sản xuất, "
        f"{result.promotions_pulled} chương trình khuyến mãi của văn phòng trung tâm."
        + (f" Đã {result.restored_text}." if result.restored_text else "")
    )


@main.command("central-migrate")
@pass_ctx
def central_migrate(ctx: Context) -> None:
    """Create or upgrade the central server's PostgreSQL schema (migrations/central)."""
    from pos.central.migrate import autovacuum_off
    from pos.central.migrate import upgrade as central_upgrade

    _require_role(ctx.app, "central")
    central_upgrade(ctx.app.config["DATABASE_URL"])
    click.echo("Cơ sở dữ liệu máy chủ trung tâm đã cập nhật (central migrations applied).")
    if autovacuum_off(ctx.app.config["DATABASE_URL"]):
        click.echo(
            "Cảnh báo: autovacuum của PostgreSQL đang tắt. Hãy bật lại (autovacuum = on trong postgresql.conf): "
            "không có nó, thống kê để PostgreSQL chọn cách truy vấn không theo kịp dữ liệu, đồng bộ và báo cáo "
            "chậm dần khi các bảng lớn lên (PostgreSQL's autovacuum is off: turn it back on).",
            err=True,
        )


def _print_secret(issued: Any, heading: str) -> None:
    click.echo(heading)
    click.echo("Khóa đồng bộ (chỉ hiện MỘT lần; máy chủ trung tâm không lưu khóa này):")
    click.echo(issued.secret)
    click.echo(f"Dấu nhận dạng khóa: {issued.key_id}")
    click.echo("Tại cửa hàng: `pos sync --set-secret` rồi dán khóa (hoặc biến môi trường POS_SYNC_SECRET).")


@main.command("central-register-showroom")
@click.argument("code")
@click.option("--name", required=True, help="The showroom's name.")
@click.option("--province", required=True, help="Province or city (tỉnh/thành phố).")
@click.option("--district", default="", help="District (quận/huyện).")
@click.option("--address", default="", help="Street address.")
@pass_ctx
def central_register_showroom(ctx: Context, code: str, name: str, province: str, district: str, address: str) -> None:
    """Register a showroom with the central server and print its sync secret, once."""
    from pos.central.credentials import register_showroom
    from pos.db import session_scope
    from pos.errors import PosError

    _require_role(ctx.app, "central")
    try:
        with session_scope(_engine(ctx.app)) as session:
            issued = register_showroom(session, code, name, province, district, address, actor="cli")
    except PosError as exc:
        raise click.ClickException(exc.message) from exc
    _print_secret(issued, f"Đã đăng ký cửa hàng {issued.code} ({name}).")


@main.command("central-rotate")
@click.argument("code")
@pass_ctx
def central_rotate(ctx: Context, code: str) -> None:
    """Issue a new sync secret for a showroom (the old one stops working at once) and print it, once."""
    from pos.central.credentials import rotate_credential
    from pos.db import session_scope
    from pos.errors import PosError

    _require_role(ctx.app, "central")
    try:
        with session_scope(_engine(ctx.app)) as session:
            issued = rotate_credential(session, code, actor="cli")
    except PosError as exc:
        raise click.ClickException(exc.message) from exc
    _print_secret(issued, f"Đã cấp khóa đồng bộ mới cho cửa hàng {issued.code}; khóa cũ đã ngừng hoạt động.")


@main.command("central-revoke")
@click.argument("code")
@pass_ctx
def central_revoke(ctx: Context, code: str) -> None:
    """Revoke a showroom's sync secret: it can push nothing until a new one is issued."""
    from pos.central.credentials import revoke_credential
    from pos.db import session_scope
    from pos.errors import PosError

    _require_role(ctx.app, "central")
    try:
        with session_scope(_engine(ctx.app)) as session:
            revoked = revoke_credential(session, code, actor="cli")
    except PosError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Đã thu hồi khóa đồng bộ của cửa hàng {code} ({', '.join(revoked)}).")


@main.command("central-create-user")
@click.argument("username")
@click.option("--name", "full_name", default="", help="Full name.")
@click.option("--role", type=click.Choice(["manager", "admin"]), default="manager", show_default=True)
@click.password_option(help="Password (asked twice when not given).")
@pass_ctx
def central_create_user(ctx: Context, username: str, full_name: str, role: str, password: str) -> None:
    """Create a central-office login (manager: sees all showrooms; admin: also manages showrooms and keys)."""
    from pos.central.users import create_central_user
    from pos.db import session_scope
    from pos.errors import PosError

    _require_role(ctx.app, "central")
    try:
        with session_scope(_engine(ctx.app)) as session:
            create_central_user(session, username, full_name, role, password, actor="cli")
    except PosError as exc:
        raise click.ClickException(exc.message) from exc
    click.echo(f"Đã tạo người dùng văn phòng trung tâm {username} ({role}).")


@main.command("central-demo")
@click.option("--showrooms", type=click.IntRange(1, 5), default=4, show_default=True, help="How many demo showrooms.")
@click.option("--no-serve", is_flag=True, help="Prepare everything but do not start the server.")
@pass_ctx
def central_demo(ctx: Context, showrooms: int, no_serve: bool) -> None:
    """Migrate, fill a demo central office (several showrooms, a year of sales) once, print the login, serve."""
    from datetime import date

    from pos.central.demo import OFFICE_LOGIN, seed_central
    from pos.central.migrate import upgrade as central_upgrade

    app = ctx.app
    _require_role(app, "central")
    central_upgrade(app.config["DATABASE_URL"])
    click.echo("Đang tạo dữ liệu mẫu của văn phòng trung tâm…")
    made = seed_central(_engine(app), date.today(), showrooms, say=click.echo)
    click.echo("Đã tạo dữ liệu mẫu." if made else "Dữ liệu mẫu đã có sẵn; không tạo lại.")
    click.echo(f"Tài khoản văn phòng: {OFFICE_LOGIN[0]} / {OFFICE_LOGIN[3]} (trang /office)")
    if not no_serve:
        _serve(app, None, None, None)


@main.command("central-rebuild-summaries")
@pass_ctx
def central_rebuild_summaries(ctx: Context) -> None:
    """Recompute the office's summary tables from the raw sales tables (pushes wait until it commits)."""
    from pos.central.summaries import rebuild
    from pos.db import session_scope

    _require_role(ctx.app, "central")

    def progress(month: Any, rows: int) -> None:
        click.echo(f"  {month:%m/%Y}: {rows:,} dòng tổng hợp".replace(",", "."))

    with session_scope(_engine(ctx.app)) as session:
        rows = rebuild(session.connection(), progress=progress)
    click.echo(f"Đã tính lại bảng tổng hợp báo cáo: {rows:,} dòng.".replace(",", "."))


@main.command("central-check-summaries")
@pass_ctx
def central_check_summaries(ctx: Context) -> None:
    """Compare the summary tables with the raw sales tables; exit status 1 when any row differs."""
    from pos.central.summaries import check
    from pos.db import session_scope

    _require_role(ctx.app, "central")
    with session_scope(_engine(ctx.app), write=False) as session:
        result = check(session.connection())
    for table, count in result.differences.items():
        state = "khớp" if count == 0 else f"{count} dòng lệch"
        click.echo(f"{table}: {result.rows_checked[table]} dòng, {state}")
        for example in result.examples[table]:
            click.echo(f"    {example}")
    if not result.ok:
        raise click.ClickException("Bảng tổng hợp không khớp dữ liệu gốc: chạy pos central-rebuild-summaries.")
    click.echo("Bảng tổng hợp khớp với dữ liệu gốc.")
