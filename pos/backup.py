"""Backups of the showroom's SQLite database (sao lưu) and putting one back (khôi phục).

A backup is taken with SQLite's online backup API while the till keeps selling: the copy is written to a
temporary file in the destination folder, checked with ``PRAGMA integrity_check``, flushed to disk and only
then renamed to ``showroom-<CODE>-YYYYMMDD-HHMMSS.db``, so a half-written file never carries a backup's name.

A restore refuses any file that is not a sound showroom database, refuses while the server has the database
open (the server holds an OS lock on ``<database>.pos-lock`` for as long as it runs; the lock dies with the
process, even on a power cut or SIGKILL), keeps the current database beside it, and migrates the restored one
up to the newest schema. It also marks the restored database so that no sequence or receipt number the central
server may already hold is issued again (pos/sync/restore.py). Everything here is pure Python and works on Windows.
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any
from zoneinfo import ZoneInfo

from pos.background import start_with_first_request

log = logging.getLogger(__name__)

BACKUP_NAME = re.compile(r"^showroom-(?:(?P<code>.+)-)?(?P<stamp>\d{8}-\d{6})(?:-(?P<n>\d+))?\.db$")
PARTIAL_SUFFIX = ".partial"
LOCK_SUFFIX = ".pos-lock"
FOLDER_LOCK = ".pos-backup-lock"  # held in the backup folder by the process writing a backup there (kept)
# A stepwise copy restarts whenever another connection writes; after this many restarts the rest is copied in
# one step, which in WAL mode reads one snapshot while the till goes on writing.
MAX_RESTARTS = 3
STEP_PAGES = 256
STEP_SLEEP_S = 0.005

_backup_lock = threading.Lock()  # one backup at a time in this process (daily thread and CLI)


class BackupError(Exception):
    """A backup or restore that could not be done; the message is Vietnamese, for the store manager."""


class DatabaseInUse(BackupError):
    """The showroom server (or another command) has the database open."""


# --- Backup ------------------------------------------------------------------------------------------------


def backup_database(
    db_path: str | os.PathLike[str],
    dest_folder: str | os.PathLike[str],
    keep: int = 14,
    *,
    code: str = "",
    now: datetime | None = None,
) -> Path:
    """Copy the live database to ``dest_folder`` consistently, check it, and keep the newest ``keep`` copies."""
    source = Path(db_path)
    if not source.is_file():
        raise BackupError(f"Không tìm thấy cơ sở dữ liệu {source}.")
    folder = Path(dest_folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"Không tạo được thư mục sao lưu {folder}: {exc.strerror or exc}.") from exc
    with _backup_lock:
        folder_lock = _lock_file(folder / FOLDER_LOCK)
        if folder_lock is None:
            raise BackupError(f"Một lần sao lưu khác đang ghi vào thư mục {folder}; hãy đợi lần đó xong rồi thử lại.")
        try:
            return _backup_locked(source, folder, keep, code, now)
        finally:
            release_database_lock(folder_lock)


def _backup_locked(source: Path, folder: Path, keep: int, code: str, now: datetime | None) -> Path:
    """backup_database, holding the folder's lock: no other backup is writing there."""
    _remove_leftovers(folder)
    final = _free_name(folder, _safe_code(code), now or datetime.now())
    partial = final.with_name(final.name + PARTIAL_SUFFIX)
    try:
        _copy_online(source, partial)
        problem = integrity_problem(partial)
        if problem:
            raise BackupError(f"Bản sao lưu không đạt kiểm tra toàn vẹn: {problem}")
        _fsync_file(partial)
        os.replace(partial, final)
        _fsync_dir(folder)
    except BaseException:
        partial.unlink(missing_ok=True)
        partial.with_name(partial.name + "-journal").unlink(missing_ok=True)
        raise
    rotate_backups(folder, keep, code=code)
    log.info("backup written: %s", final)
    return final


def _copy_online(source: Path, target: Path) -> None:
    """SQLite's online backup, a few pages at a time with a short pause so the till's writes go through."""
    src = sqlite3.connect(f"{source.resolve().as_uri()}?mode=rw", uri=True, timeout=30)
    dst = sqlite3.connect(str(target))
    try:
        restarts = 0
        last_remaining: int | None = None

        def progress(_status: int, remaining: int, _total: int) -> None:
            nonlocal restarts, last_remaining
            if last_remaining is not None and remaining >= last_remaining:
                restarts += 1  # another connection wrote: SQLite began the copy again
                if restarts > MAX_RESTARTS:
                    raise _Restarted
            last_remaining = remaining
            time.sleep(STEP_SLEEP_S)

        try:
            src.backup(dst, pages=STEP_PAGES, progress=progress)
        except _Restarted:
            # Busy till: copy in one step instead. In WAL mode that is one read snapshot; writers do not wait.
            src.backup(dst, pages=-1)
        # The copy stands alone: no -wal file beside it is needed to read it.
        dst.execute("PRAGMA journal_mode=DELETE")
    finally:
        dst.close()
        src.close()


class _Restarted(Exception):
    """The stepwise copy kept restarting under writes."""


def integrity_problem(path: str | os.PathLike[str]) -> str:
    """'' when ``PRAGMA integrity_check`` says ok, otherwise what it (or SQLite) reported."""
    try:
        conn = sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True)
        try:
            rows = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        return str(exc)
    return "" if rows == ["ok"] else "; ".join(str(r) for r in rows[:5])


def list_backups(folder: str | os.PathLike[str], code: str | None = None) -> list[Path]:
    """Backups in ``folder`` (of showroom ``code`` if given), oldest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found: list[tuple[str, int, Path]] = []
    wanted = None if code is None else _safe_code(code)
    for path in folder.iterdir():
        match = BACKUP_NAME.match(path.name)
        if match and path.is_file() and (wanted is None or (match["code"] or "") == wanted):
            found.append((match["stamp"], int(match["n"] or 1), path))
    return [path for _stamp, _n, path in sorted(found)]


def rotate_backups(folder: str | os.PathLike[str], keep: int, *, code: str = "") -> list[Path]:
    """Delete this showroom's oldest backups beyond the newest ``keep``; other files are never touched."""
    keep = max(1, int(keep))
    backups = list_backups(folder, code)
    removed = backups[:-keep] if len(backups) > keep else []
    for path in removed:
        try:
            path.unlink()
        except OSError:
            log.warning("could not delete old backup %s", path, exc_info=True)
    return removed


def _safe_code(code: str) -> str:
    """The showroom code as it may appear in a file name."""
    return re.sub(r"[^A-Za-z0-9_.]+", "_", code or "").strip("_.")


def _free_name(folder: Path, code: str, when: datetime) -> Path:
    """showroom-<CODE>-YYYYMMDD-HHMMSS.db, with -2, -3 ... if a backup was already taken that second."""
    stem = f"showroom-{code}-" if code else "showroom-"
    stem += when.strftime("%Y%m%d-%H%M%S")
    candidate = folder / f"{stem}.db"
    n = 1
    while candidate.exists() or candidate.with_name(candidate.name + PARTIAL_SUFFIX).exists():
        n += 1
        candidate = folder / f"{stem}-{n}.db"
    return candidate


def _remove_leftovers(folder: Path) -> None:
    """Drop what an interrupted backup (killed, power cut) left: its partial copy and that copy's journal.

    Called with the folder's lock held, so no backup is writing any of them now, whatever their age. Each
    can be as large as the database, and a USB stick fills up.
    """
    for pattern in (f"showroom-*.db{PARTIAL_SUFFIX}", f"showroom-*.db{PARTIAL_SUFFIX}-journal"):
        for path in folder.glob(pattern):
            try:
                path.unlink()
                log.info("removed the leftover of an interrupted backup: %s", path)
            except OSError:
                pass  # still open elsewhere (Windows): the next backup tries again


def _fsync_file(path: Path) -> None:
    with path.open("rb+") as fh:
        os.fsync(fh.fileno())


def _fsync_dir(folder: Path) -> None:
    """Make the rename durable; Windows cannot open a folder for fsync and does not need it."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- The lock the server holds -------------------------------------------------------------------------------


def lock_path(db_path: str | os.PathLike[str]) -> Path:
    """The file the server locks while it has ``db_path`` open."""
    path = Path(db_path)
    return path.with_name(path.name + LOCK_SUFFIX)


def acquire_database_lock(db_path: str | os.PathLike[str]) -> IO[bytes] | None:
    """Take the exclusive OS lock on the database's lock file; None if another process holds it.

    The lock is released by ``release_database_lock`` or when the process ends, however it ends.
    """
    return _lock_file(lock_path(db_path))


def _lock_file(path: Path) -> IO[bytes] | None:
    """The exclusive OS lock on ``path`` (created if need be), or None if another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fh = path.open("a+b")
    try:
        if os.name == "nt":
            import msvcrt

            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        fh.close()
        return None
    return fh


def release_database_lock(fh: IO[bytes]) -> None:
    """Give the lock back."""
    try:
        if os.name == "nt":
            import msvcrt

            fh.seek(0)
            msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)
    except OSError:
        pass
    finally:
        fh.close()  # closing the file releases a POSIX flock


# --- Restore -------------------------------------------------------------------------------------------------


def check_backup(path: str | os.PathLike[str]) -> None:
    """Raise BackupError unless ``path`` is a sound SQLite file holding a showroom database."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"Không tìm thấy tệp {path}.")
    problem = integrity_problem(path)
    if problem:
        raise BackupError(f"Tệp {path.name} bị hỏng hoặc không phải cơ sở dữ liệu SQLite ({problem}).")
    conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        revision = None
        if "alembic_version" in tables:
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"Tệp {path.name} bị hỏng ({exc}).") from exc
    finally:
        conn.close()
    if "sale" not in tables or revision is None:
        raise BackupError(f"Tệp {path.name} không phải bản sao lưu cơ sở dữ liệu của cửa hàng.")


@dataclass
class RestoreResult:
    """What a restore did: the file put in place and where the database it replaced was kept."""

    restored: Path
    previous: Path | None


def restore_database(
    backup_file: str | os.PathLike[str],
    db_path: str | os.PathLike[str],
    *,
    now: datetime | None = None,
    migrate: Callable[[str], None] | None = None,
) -> RestoreResult:
    """Put a checked backup in place of the (stopped) showroom's database and migrate it to the newest schema."""
    backup = Path(backup_file)
    target = Path(db_path)
    check_backup(backup)
    if backup.resolve() == target.resolve():
        raise BackupError("Không thể khôi phục một cơ sở dữ liệu từ chính nó.")
    lock = acquire_database_lock(target)
    if lock is None:
        raise DatabaseInUse(
            "Máy chủ bán hàng đang chạy trên cơ sở dữ liệu này. Hãy dừng máy chủ (đóng cửa sổ pos serve) rồi thử lại."
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        incoming = target.with_name(target.name + ".restoring")
        shutil.copyfile(backup, incoming)
        try:
            check_backup(incoming)  # the copy itself, as it landed on this disk
            _fsync_file(incoming)
            previous = _set_aside(target, (now or datetime.now()).strftime("%Y%m%d-%H%M%S"))
            os.replace(incoming, target)
            _fsync_dir(target.parent)
        finally:
            incoming.unlink(missing_ok=True)
        if migrate is None:
            from pos.migrate import upgrade as migrate
        migrate(f"sqlite:///{target.resolve().as_posix()}")
        record_restore(target, backup, previous)
    finally:
        release_database_lock(lock)
    log.info("restored %s from %s (previous database kept as %s)", target, backup, previous)
    return RestoreResult(restored=target, previous=previous)


def _set_aside(target: Path, stamp: str) -> Path | None:
    """Rename the current database (with its -wal and -shm, which may hold committed sales) out of the way."""
    if not target.exists():
        for suffix in ("-wal", "-shm", "-journal"):
            target.with_name(target.name + suffix).unlink(missing_ok=True)
        return None
    kept = target.with_name(f"{target.name}.before-restore-{stamp}")
    n = 1
    while kept.exists():
        n += 1
        kept = target.with_name(f"{target.name}.before-restore-{stamp}-{n}")
    os.replace(target, kept)
    for suffix in ("-wal", "-shm", "-journal"):
        side = target.with_name(target.name + suffix)
        if side.exists():
            # Named so that opening the kept file still replays its write-ahead log.
            os.replace(side, kept.with_name(kept.name + suffix))
    return kept


# --- Config and the daily backup -----------------------------------------------------------------------------


def sqlite_path(database_url: str) -> Path | None:
    """The file of a sqlite:/// URL, or None for another database."""
    if not database_url.startswith("sqlite:///"):
        return None
    path = database_url.removeprefix("sqlite:///").split("?", 1)[0]
    return None if not path or path == ":memory:" else Path(path)


def backup_folder(config: dict[str, Any] | Any) -> Path:
    """The configured backup folder; a relative one is inside the instance folder."""
    folder = Path(str(config.get("BACKUP_FOLDER") or "backups"))
    if not folder.is_absolute():
        folder = Path(config["INSTANCE_PATH"]) / folder
    return folder


def parse_daily_at(value: str) -> tuple[int, int]:
    """'22:00' -> (22, 0); a bad value falls back to 22:00 with a warning."""
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*", str(value or ""))
    if match and int(match[1]) < 24 and int(match[2]) < 60:
        return int(match[1]), int(match[2])
    log.warning("backup.daily_at %r is not HH:MM; using 22:00", value)
    return 22, 0


def next_run(now: datetime, hour: int, minute: int) -> datetime:
    """The next time of day hour:minute strictly after ``now`` (same time zone as ``now``)."""
    candidate = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return candidate if candidate > now else candidate + timedelta(days=1)


class DailyBackup(threading.Thread):
    """Backs the database up once a day at ``daily_at``, and at start if the newest backup is over a day old.

    Failures are logged and retried at the next run; nothing here may stop the till.
    """

    def __init__(self, config: dict[str, Any], db_path: Path) -> None:
        super().__init__(name="pos-daily-backup", daemon=True)
        self.db_path = db_path
        self.folder = backup_folder(config)
        self.fallback = Path(config["INSTANCE_PATH"]) / "backups"
        self.keep = int(config.get("BACKUP_KEEP", 14))
        self.code = str(config.get("SHOWROOM_CODE", ""))
        self.hour, self.minute = parse_daily_at(config.get("BACKUP_DAILY_AT", "22:00"))
        self.tz = ZoneInfo(str(config.get("SHOWROOM_TIMEZONE") or "Asia/Ho_Chi_Minh"))
        self.stop = threading.Event()
        self.last_error = ""
        self.last_file: Path | None = None

    def now(self) -> datetime:
        return datetime.now(self.tz)

    def is_overdue(self) -> bool:
        """Whether the newest backup in the folder is older than a day (or there is none)."""
        backups = list_backups(self.folder, self.code)
        if not backups:
            return True
        return time.time() - max(p.stat().st_mtime for p in backups) > 86_400

    def run_once(self) -> Path | None:
        """One backup, to the configured folder or, if that fails (USB drive missing), to the instance folder."""
        try:
            self.last_file = backup_database(self.db_path, self.folder, self.keep, code=self.code, now=self.now())
            self.last_error = ""
            return self.last_file
        except Exception as exc:
            self.last_error = str(exc)
            log.exception("daily backup to %s failed", self.folder)
        if self.fallback.resolve() == self.folder.resolve():
            return None
        try:
            self.last_file = backup_database(self.db_path, self.fallback, self.keep, code=self.code, now=self.now())
            log.warning("daily backup written to the instance folder instead: %s", self.last_file)
            return self.last_file
        except Exception:
            log.exception("daily backup to the instance folder failed as well")
            return None

    def run(self) -> None:
        try:
            if self.is_overdue():
                self.run_once()
        except Exception:
            log.exception("start-up backup check failed")
        while not self.stop.is_set():
            due = next_run(self.now(), self.hour, self.minute)
            # Wake at least every minute: the PC may sleep or its clock may be set while we wait.
            while not self.stop.is_set() and self.now() < due:
                self.stop.wait(min(60.0, max(0.5, (due - self.now()).total_seconds())))
            if self.stop.is_set():
                return
            try:
                self.run_once()
            except Exception:
                log.exception("daily backup failed")


def init_app(app: Any) -> None:
    """For a showroom that is not under test: hold the database lock and schedule the daily backup.

    The thread starts with the first request rather than here, because every CLI command (migrate,
    create-user, restore) builds the app too and must not start backing up.
    """
    config = app.config
    db_path = sqlite_path(str(config.get("DATABASE_URL", "")))
    if config.get("TESTING") or config.get("ROLE", "showroom") != "showroom" or db_path is None:
        return
    lock = acquire_database_lock(db_path)
    if lock is not None:
        app.extensions["pos.db_lock"] = lock  # held for the life of the process
    if not config.get("BACKUP_ENABLED", True):
        return
    start_with_first_request(app, "pos.daily_backup", lambda: DailyBackup(dict(config), db_path))


# --- Entry points for the CLI ---------------------------------------------------------------------------------


def config_db_path(config: dict[str, Any]) -> Path:
    """The showroom's SQLite file from the config, or BackupError for another database."""
    path = sqlite_path(str(config.get("DATABASE_URL", "")))
    if path is None:
        raise BackupError("Sao lưu và khôi phục chỉ dành cho cơ sở dữ liệu SQLite của cửa hàng.")
    return path


def showroom_now(config: dict[str, Any]) -> datetime:
    """The showroom's local time, used in file names."""
    return datetime.now(ZoneInfo(str(config.get("SHOWROOM_TIMEZONE") or "Asia/Ho_Chi_Minh")))


def backup_now(config: dict[str, Any], folder: str | os.PathLike[str] | None = None) -> Path:
    """One backup with the configured folder (or ``folder``), number of copies and showroom code."""
    return backup_database(
        config_db_path(config),
        Path(folder) if folder else backup_folder(config),
        int(config.get("BACKUP_KEEP", 14)),
        code=str(config.get("SHOWROOM_CODE", "")),
        now=showroom_now(config),
    )


def record_restore(db_path: Path, backup: Path, previous: Path | None) -> None:
    """Mark the restored database for the sync and write the restore into its audit log (the audit page)."""
    from pos.audit import log as audit
    from pos.db import make_engine, session_scope
    from pos.sync.restore import mark_restored

    engine = make_engine(f"sqlite:///{db_path.resolve().as_posix()}")
    try:
        with session_scope(engine) as session:
            # Until the first sync after this, receipts get numbers of a series of their own and nothing is
            # pushed before the outbox and the counters are moved past the central server's (pos/sync/restore.py).
            mark_restored(session, int(time.time()))
            audit.record(
                session,
                "restore",
                user_id=None,
                entity="database",
                entity_id=backup.name[:40],
                after={"file": str(backup), "previous": str(previous) if previous else ""},
            )
    finally:
        engine.dispose()
