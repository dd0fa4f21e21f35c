"""Tills (quầy thu ngân) with their receipt printer and drawer, and the print queue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from pos.db import UTCDateTime, utcnow

PRINTER_KINDS: dict[str, str] = {
    "browser": "Trình duyệt in",
    "network": "Máy in LAN (9100)",
    "usb": "Máy in USB",
    "serial": "Cổng COM",
    "windows": "Máy in Windows",
}
ESCPOS_KINDS = ("network", "usb", "serial", "windows")
JOB_KINDS: dict[str, str] = {
    "receipt": "Hóa đơn",
    "refund": "Phiếu hoàn tiền",
    "x_report": "Báo cáo giữa ca (X)",
    "z_report": "Báo cáo đóng ca (Z)",
    "test": "In thử",
    "drawer": "Mở ngăn kéo",
}
JOB_STATES: dict[str, str] = {"waiting": "Đang chờ in", "printed": "Đã in", "failed": "In lỗi"}


class Till(SQLModel, table=True):
    """One till of the showroom: its name on screen and paper, its receipt printer and its cash drawer."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=10, unique=True)  # Q1, Q2 ... sent with the shift to the central server
    name: str = Field(max_length=60)  # Quầy 1
    is_active: bool = Field(default=True)
    printer_kind: str = Field(default="browser", max_length=10)
    printer_address: str = Field(default="", max_length=200)  # host[:port], vid:pid, COM3[:baud], queue name
    paper: str = Field(default="80mm", max_length=5)
    dots_per_line: int = Field(default=0)  # 0: the [printer] default for the paper
    has_drawer: bool = Field(default=True)  # a drawer on the printer's RJ11 port
    drawer_pin: int = Field(default=2)  # 2 or 5: the connector pin the drawer's solenoid answers on
    last_error: str = Field(default="", max_length=300)
    last_error_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    last_printed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def is_escpos(self) -> bool:
        """Whether the server prints this till's receipts itself (else the browser does)."""
        return self.printer_kind in ESCPOS_KINDS


class PrintJob(SQLModel, table=True):
    """A document to print at a till; kept until printed, so a printer that is off loses nothing."""

    __table_args__ = (Index("ix_printjob_till_state", "till_id", "state", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    till_id: int = Field(foreign_key="till.id")
    kind: str = Field(max_length=10)  # receipt, refund, x_report, z_report, test, drawer
    ref: str = Field(default="", max_length=40)  # receipt or return number, shift id
    copy_number: int = Field(default=0)  # > 0: printed as BẢN SAO (lần in n+1)
    language: str = Field(default="", max_length=5)  # a copy's receipt language; empty: the sale's
    open_drawer: bool = Field(default=False)
    state: str = Field(default="waiting", max_length=8)  # waiting, printed, failed
    attempts: int = Field(default=0)
    last_error: str = Field(default="", max_length=300)
    created_by_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    next_try_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    printed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
