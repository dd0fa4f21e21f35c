"""VAT rates by date: the rate of a class is the VatRate row with the latest valid_from not after the day.

The sale's day is its local date in the showroom's time zone, so a sale at 00:30 on 01/01/2027 in Hà Nội
is taxed at the 2027 rate although it is still 31/12/2026 in UTC.

Every scan prices the cart, so the rates of a day are kept in memory per database. Any change to the table
made through the ORM (add_rate, or a test adding a row) empties that cache when it is flushed and again when
it commits; a transaction that began before such a commit never stores what it read.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import event
from sqlalchemy.orm import object_session
from sqlmodel import Session, select

from pos.audit import log as audit
from pos.catalog.models import VAT_CLASSES, VatRate
from pos.errors import Conflict, PosError, ValidationError
from pos.text import nfc

MAX_RATE_BP = 10_000

_CACHE_MAX = 64
_cache: dict[tuple[object, date], dict[str, int]] = {}
_generation = 0  # bumped by every change to the table; a cache entry is stored only if read under the same one
_CHANGED = "pos.vat_changed"
_BEGAN_AT = "pos.vat_generation"


def _invalidate() -> None:
    global _generation
    _generation += 1
    _cache.clear()


@event.listens_for(VatRate, "after_insert")
@event.listens_for(VatRate, "after_update")
@event.listens_for(VatRate, "after_delete")
def _on_vat_change(_mapper: object, _conn: object, target: VatRate) -> None:
    _invalidate()
    session = object_session(target)
    if session is not None:
        session.info[_CHANGED] = True


@event.listens_for(Session, "after_begin")
def _on_begin(session: Session, _transaction: object, _conn: object) -> None:
    session.info[_BEGAN_AT] = _generation


@event.listens_for(Session, "after_commit")
def _on_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        _invalidate()  # readers that began before this commit must not keep what they read


def showroom_tz(name: str | None) -> tzinfo:
    """The showroom's zone; a fixed UTC+7 where no tz database is installed (Windows without tzdata)."""
    try:
        return ZoneInfo(name or "Asia/Ho_Chi_Minh")
    except (ZoneInfoNotFoundError, ValueError):
        return timezone(timedelta(hours=7), "ICT")  # Vietnam has kept UTC+7 without DST since 1975


def local_date(at: datetime, tz_name: str | None) -> date:
    """The calendar day of an aware datetime in the showroom's zone."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(showroom_tz(tz_name)).date()


def rate_on(session: Session, vat_class: str, on: date) -> int:
    """The rate in basis points of ``vat_class`` on day ``on``; PosError if the table has none."""
    rate = session.exec(
        select(VatRate.rate_bp)
        .where(VatRate.vat_class == vat_class, VatRate.valid_from <= on)
        .order_by(VatRate.valid_from.desc(), VatRate.id.desc())  # type: ignore[union-attr]
        .limit(1)
    ).first()
    if rate is None:
        raise missing_rate(vat_class, on)
    return int(rate)


def missing_rate(vat_class: str, on: date) -> PosError:
    """The error for a class the table has no rate for on that day (a manager must add one)."""
    label = VAT_CLASSES.get(vat_class, vat_class)
    return PosError(
        f"Chưa có thuế suất GTGT cho “{label}” áp dụng ngày {on:%d/%m/%Y}. Quản lý cần bổ sung bảng thuế suất.",
        "vat_class",
    )


def rates_on(session: Session, on: date) -> dict[str, int]:
    """Every class's rate on day ``on`` (classes without a row are absent); one query per day and database."""
    key = (session.get_bind().url, on)
    cached = _cache.get(key)
    if cached is not None:
        return dict(cached)
    rows = session.exec(
        select(VatRate.vat_class, VatRate.rate_bp)
        .where(VatRate.valid_from <= on)
        .order_by(VatRate.valid_from, VatRate.id)  # later rows overwrite earlier ones below
    ).all()
    rates = {vat_class: int(rate_bp) for vat_class, rate_bp in rows}
    if session.info.get(_BEGAN_AT) == _generation:
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        _cache[key] = rates
    return dict(rates)


def list_rates(session: Session) -> list[VatRate]:
    """The whole table, by class then date."""
    return list(session.exec(select(VatRate).order_by(VatRate.vat_class, VatRate.valid_from)).all())


def parse_rate_percent(text: str) -> int:
    """'8' -> 800, '8,5' or '8.5' -> 850, '10%' -> 1000; ValidationError on anything else."""
    cleaned = nfc(text).replace("%", "").replace(" ", "").replace(",", ".")
    whole, _, frac = cleaned.partition(".")
    if not (whole.isascii() and whole.isdigit()) or (
        frac and not (frac.isascii() and frac.isdigit() and len(frac) <= 2)
    ):
        raise ValidationError("Thuế suất phải là một số phần trăm, ví dụ 8 hoặc 10.", "rate")
    if len(whole.lstrip("0")) > 3:  # over 100% (and int() refuses a number of more than 4300 digits)
        raise ValidationError("Thuế suất không thể vượt quá 100%.", "rate")
    rate_bp = int(whole.lstrip("0") or "0") * 100 + int(frac.ljust(2, "0") or 0)
    if rate_bp > MAX_RATE_BP:
        raise ValidationError("Thuế suất không thể vượt quá 100%.", "rate")
    return rate_bp


def add_rate(
    session: Session, vat_class: str, valid_from: date, rate_bp: int, note: str, actor_id: int | None
) -> VatRate:
    """Add a dated rate for a class (a change of law); audited."""
    if vat_class not in VAT_CLASSES:
        raise ValidationError("Nhóm thuế suất không hợp lệ.", "vat_class")
    if not 0 <= rate_bp <= MAX_RATE_BP:
        raise ValidationError("Thuế suất phải từ 0% đến 100%.", "rate")
    if not date(2000, 1, 1) <= valid_from <= date(2100, 12, 31):
        raise ValidationError("Ngày áp dụng không hợp lệ.", "valid_from")
    clash = session.exec(
        select(VatRate).where(VatRate.vat_class == vat_class, VatRate.valid_from == valid_from)
    ).first()
    if clash is not None:
        raise Conflict(
            f"Nhóm này đã có thuế suất áp dụng từ ngày {valid_from:%d/%m/%Y}; hãy chọn ngày khác.", "valid_from"
        )
    row = VatRate(vat_class=vat_class, valid_from=valid_from, rate_bp=rate_bp, note=nfc(note)[:200])
    session.add(row)
    session.flush()
    audit.record(
        session,
        "vat_rate.create",
        user_id=actor_id,
        entity="vatrate",
        entity_id=row.id,
        after={"vat_class": vat_class, "valid_from": valid_from.isoformat(), "rate_bp": rate_bp, "note": row.note},
    )
    return row
