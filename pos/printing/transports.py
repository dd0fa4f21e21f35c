"""Sending a finished ESC/POS job to a till's printer: LAN (port 9100), USB, serial, or a Windows queue.

A LAN printer is asked for its paper sensor (DLE EOT 4) before the job and for its status (DLE EOT 1) after it:
an answer after the job means every byte reached the printer, so a printer that stops or loses power half-way
leaves the job to be retried instead of marked printed. A printer that never answers status queries (some
clones) is trusted once the bytes are written and the connection closes cleanly. USB, serial and Windows queues
go through python-escpos's own printer classes, imported only when used (pyusb, pyserial and pywin32 are
optional: a Windows PC printing to a LAN printer needs none of them).
"""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any

DEFAULT_PORT = 9100
CONNECT_TIMEOUT_S = 3.0
STATUS_TIMEOUT_S = 1.5
SEND_TIMEOUT_S = 20.0

DLE_EOT_ONLINE = b"\x10\x04\x01"
DLE_EOT_PAPER = b"\x10\x04\x04"
PAPER_END_BITS = 0x60  # DLE EOT 4 answer: bits 5 and 6, the roll is out
OFFLINE_BIT = 0x08  # DLE EOT 1 answer: bit 3, off line (cover open, paper out, error)


class PrinterError(Exception):
    """The printer did not print the job; ``message`` is shown to the cashier as it is."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class PrinterTarget:
    """Where a till's printer is: its kind and its address as the manager typed it."""

    kind: str
    address: str


def _host_port(address: str) -> tuple[str, int]:
    """'192.168.1.50' or '192.168.1.50:9100'."""
    host, sep, port = address.strip().rpartition(":")
    if not sep:
        host, port = address.strip(), ""
    if port and not (port.isascii() and port.isdigit() and 0 < int(port) < 65536):
        raise PrinterError(f"Cổng máy in không hợp lệ: {port}.")
    if not host:
        raise PrinterError("Chưa nhập địa chỉ IP của máy in.")
    return host, int(port) if port else DEFAULT_PORT


def _status(sock: socket.socket, query: bytes) -> int | None:
    """One real-time status byte, or None if the printer does not answer such queries."""
    sock.sendall(query)
    sock.settimeout(STATUS_TIMEOUT_S)
    try:
        answer = sock.recv(1)
    except TimeoutError:
        return None
    finally:
        sock.settimeout(SEND_TIMEOUT_S)
    if not answer:
        raise PrinterError("Máy in ngắt kết nối giữa chừng.")
    return answer[0]


def send_network(address: str, data: bytes, *, ask_status: bool = True) -> None:
    """The job over TCP to a LAN printer, checked before and after as the module says.

    ``ask_status=False`` for a printer that speaks another language than ESC/POS (a TSPL label printer):
    the bytes are written and the connection closed cleanly, nothing else is sent.
    """
    host, port = _host_port(address)
    try:
        sock = socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S)
    except OSError as exc:
        raise PrinterError(f"Không kết nối được máy in {host}:{port} (máy in tắt hoặc mất mạng).") from exc
    try:
        sock.settimeout(SEND_TIMEOUT_S)
        paper = _status(sock, DLE_EOT_PAPER) if ask_status else None
        if paper is not None and paper & PAPER_END_BITS:
            raise PrinterError("Máy in hết giấy: thay cuộn giấy mới, hóa đơn sẽ tự in lại.")
        sock.sendall(data)
        if paper is not None:  # it answers queries: it must answer this one too, after the whole job
            online = _status(sock, DLE_EOT_ONLINE)
            if online is None:
                raise PrinterError("Máy in không trả lời sau khi nhận lệnh in (mất kết nối giữa chừng).")
            if online & OFFLINE_BIT:
                raise PrinterError("Máy in báo lỗi (nắp mở hoặc hết giấy).")
        sock.shutdown(socket.SHUT_WR)
    except PrinterError:
        raise
    except OSError as exc:
        raise PrinterError(f"Máy in {host}:{port} ngắt kết nối giữa chừng.") from exc
    finally:
        sock.close()


def _escpos_printer(target: PrinterTarget) -> Any:
    """A python-escpos printer for USB (vid:pid in hex), serial (COM3 or /dev/ttyUSB0[:baud]) or Windows."""
    address = target.address.strip()
    if target.kind == "usb":
        from escpos.printer import Usb

        vid, _, pid = address.partition(":")
        try:
            return Usb(int(vid, 16), int(pid, 16), timeout=int(SEND_TIMEOUT_S * 1000))
        except ValueError as exc:
            raise PrinterError("Mã USB của máy in phải có dạng 0416:5011 (vendor:product).") from exc
    if target.kind == "serial":
        from escpos.printer import Serial

        device, _, baud = address.rpartition(":") if address.rpartition(":")[2].isdigit() else (address, "", "")
        return Serial(devfile=device, baudrate=int(baud or 9600), timeout=SEND_TIMEOUT_S)
    if target.kind == "windows":
        from escpos.printer import Win32Raw

        return Win32Raw(address)
    raise PrinterError(f"Loại máy in không hợp lệ: {target.kind}.")


def send_escpos(target: PrinterTarget, data: bytes) -> None:
    """The job through python-escpos's own device (USB, serial, Windows queue)."""
    try:
        printer = _escpos_printer(target)
        if not printer.is_usable():
            raise PrinterError("Máy tính này chưa cài thư viện cho loại máy in này (pyusb, pyserial hoặc pywin32).")
        printer.open()
        try:
            printer._raw(data)
        finally:
            printer.close()
    except PrinterError:
        raise
    except Exception as exc:  # the device libraries raise their own kinds: all mean "not printed"
        raise PrinterError(f"Không in được qua {target.kind}: {exc}") from exc


def send(target: PrinterTarget, data: bytes) -> None:
    """Send a whole job to the printer, or raise PrinterError."""
    if target.kind == "network":
        send_network(target.address, data)
    else:
        send_escpos(target, data)
