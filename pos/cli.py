"""The `pos` command: migrate, create users, seed demo data, serve with waitress."""

from __future__ import annotations

import logging
from pathlib import Path

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


pass_ctx = click.make_pass_decorator(Context)

DEMO_USERS = [
    ("thungan", "Nguyễn Thị Thu Ngân", "cashier", "thungan123"),
    ("quanly", "Trần Văn Quản Lý", "manager", "quanly123"),
    ("admin", "Lê Quản Trị", "admin", "admin123"),
]


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


@main.command()
@pass_ctx
def migrate(ctx: Context) -> None:
    """Apply database migrations up to the newest."""
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
@click.option(
    "--role", type=click.Choice(["cashier", "manager", "admin"]), default="cashier", show_default=True
)
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
    from sqlmodel import select

    from pos.auth.models import User
    from pos.auth.services import create_user
    from pos.db import ENGINE_KEY, session_scope
    from pos.demo import seed

    with session_scope(app.extensions[ENGINE_KEY]) as session:
        created = seed(session)
        for username, full_name, role, password in DEMO_USERS:
            if session.exec(select(User).where(User.username == username)).first() is None:
                create_user(session, username, full_name, role, password)
    click.echo("Đã tạo dữ liệu mẫu." if created else "Dữ liệu mẫu đã có sẵn; không tạo lại.")
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


def _serve(app: Flask, host: str | None, port: int | None, threads: int | None) -> None:
    from waitress import serve as waitress_serve

    host = host or app.config.get("SERVER_HOST", "127.0.0.1")
    port = port or int(app.config.get("SERVER_PORT", 8000))
    click.echo(f"Đang chạy tại http://{host}:{port}  (Ctrl+C để dừng)")
    logging.basicConfig(level=logging.INFO)
    waitress_serve(app, host=host, port=port, threads=threads or int(app.config.get("SERVER_THREADS", 8)))


@main.command()
@click.option("--no-serve", is_flag=True, help="Prepare everything but do not start the server.")
@pass_ctx
def demo(ctx: Context, no_serve: bool) -> None:
    """Migrate, seed the demo showroom (once), print the demo logins and serve."""
    from pos.migrate import upgrade

    upgrade(ctx.app.config["DATABASE_URL"])
    _seed(ctx.app)
    if not no_serve:
        _serve(ctx.app, None, None, None)
