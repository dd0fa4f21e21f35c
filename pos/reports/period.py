"""Report periods: local showroom days (dd/mm/yyyy on screen) turned into UTC ranges for queries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pos.errors import ValidationError

DEFAULT_TZ = "Asia/Ho_Chi_Minh"
MAX_PERIOD_DAYS = 3 * 366  # a longer period is almost certainly a typing mistake


def shop_timezone(name: str | None = None) -> tzinfo:
    """The showroom's zone; a fixed UTC+7 where no tz database is installed (Windows without tzdata)."""
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except ZoneInfoNotFoundError:
        return timezone(timedelta(hours=7), "ICT")  # Vietnam has kept UTC+7 without DST since 1975


def local_today(tz: tzinfo) -> date:
    """Today's date in the showroom."""
    return datetime.now(tz).date()


def local_midnight(day: date, tz: tzinfo) -> datetime:
    """The UTC instant at which a local day begins."""
    return datetime.combine(day, time(), tz).astimezone(UTC)


def local_date(moment: datetime, tz: tzinfo) -> date:
    """The local day an aware UTC instant falls on."""
    return moment.astimezone(tz).date()


def parse_dmy(text: str, field: str) -> date:
    """'05/03/2026' -> date(2026, 3, 5); also accepts the ISO form a date picker sends."""
    raw = (text or "").strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValidationError(f"Ngày không hợp lệ: “{raw}”. Nhập theo dạng ngày/tháng/năm, ví dụ 05/03/2026.", field)


def format_dmy(day: date) -> str:
    """date(2026, 3, 5) -> '05/03/2026'."""
    return day.strftime("%d/%m/%Y")


@dataclass(frozen=True)
class Period:
    """Local days ``start`` to ``end``, both included, in the showroom's zone."""

    start: date
    end: date
    tz: tzinfo

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationError("Ngày kết thúc phải sau hoặc bằng ngày bắt đầu.", "to")
        if (self.end - self.start).days >= MAX_PERIOD_DAYS:
            raise ValidationError("Khoảng thời gian tối đa là 3 năm.", "to")

    @property
    def utc_start(self) -> datetime:
        """First instant of the period, in UTC."""
        return local_midnight(self.start, self.tz)

    @property
    def utc_end(self) -> datetime:
        """First instant after the period, in UTC (the range is half-open)."""
        return local_midnight(self.end + timedelta(days=1), self.tz)

    @property
    def offset_seconds(self) -> int:
        """The zone's UTC offset at the period start; constant in Vietnam, which keeps no summer time."""
        offset = self.utc_start.astimezone(self.tz).utcoffset()
        return int(offset.total_seconds()) if offset else 0

    @property
    def days(self) -> list[date]:
        """Every day of the period, in order."""
        return [self.start + timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def contains(self, moment: datetime) -> bool:
        """Whether an aware instant falls inside the period."""
        return self.utc_start <= moment < self.utc_end

    def label(self) -> str:
        """'01/03/2026 – 31/03/2026'."""
        return f"{format_dmy(self.start)} – {format_dmy(self.end)}"

    def slug(self) -> str:
        """'20260301-20260331', for file names."""
        return f"{self.start:%Y%m%d}-{self.end:%Y%m%d}"


def parse_period(raw_from: str | None, raw_to: str | None, tz: tzinfo, today: date | None = None) -> Period:
    """A period from two dd/mm/yyyy fields; an empty field means the start of this month / today."""
    today = today or local_today(tz)
    start = parse_dmy(raw_from, "from") if raw_from and raw_from.strip() else today.replace(day=1)
    end = parse_dmy(raw_to, "to") if raw_to and raw_to.strip() else today
    return Period(start, end, tz)
