"""VietQR (NAPAS 247) payloads: the EMVCo merchant-presented QR a banking app scans to pay by transfer.

The payload is a string of TLV fields (two-digit tag, two-digit length, value) closed by a CRC16.
Everything we put in it is ASCII, so a length in characters is also a length in bytes.
"""

from __future__ import annotations

import io
import unicodedata
from collections.abc import Iterator, Sequence

import qrcode
import qrcode.constants
import qrcode.image.svg

NAPAS_GUID = "A000000727"
SERVICE_TO_ACCOUNT = "QRIBFTTA"
SERVICE_TO_CARD = "QRIBFTTC"
CURRENCY_VND = "704"
COUNTRY_VN = "VN"
PURPOSE_MAX_LEN = 25  # NAPAS: purpose of transaction (62/08) is "ans", up to 25 characters
ACCOUNT_MAX_LEN = 19  # NAPAS: merchant/consumer ID inside 38/01 is up to 19 characters
AMOUNT_MAX_LEN = 13  # EMVCo: transaction amount (54) is up to 13 characters


def crc16_ccitt(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection), as EMVCo QR specifies."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
            crc &= 0xFFFF
    return crc


def _tlv(tag: str, value: str) -> str:
    """One field: tag, two-digit length, value."""
    if len(value) > 99:
        raise ValueError(f"field {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


def clean_purpose(text: str | None) -> str:
    """'Đơn HD-0012: bánh cốm' -> 'Don HD-0012 banh com': ASCII letters, digits, spaces, hyphens; 25 max.

    Many banking apps reject or mangle anything else in the transfer note.
    """
    decomposed = unicodedata.normalize("NFD", text or "").replace("đ", "d").replace("Đ", "D")
    kept = []
    for ch in decomposed:
        if ch.isspace():
            kept.append(" ")
        elif ch.isascii() and (ch.isalnum() or ch == "-"):
            kept.append(ch)
    return " ".join("".join(kept).split())[:PURPOSE_MAX_LEN].rstrip()


def build_vietqr_payload(
    bank_bin: str,
    account: str,
    amount_vnd: int | None,
    purpose: str,
    service: str = SERVICE_TO_ACCOUNT,
) -> str:
    """The VietQR payload for a transfer to ``account`` at the bank with NAPAS BIN ``bank_bin``."""
    if not (len(bank_bin) == 6 and bank_bin.isascii() and bank_bin.isdigit()):
        raise ValueError(f"bank BIN must be 6 digits: {bank_bin!r}")
    # Refuse rather than trim: a shortened account number would send the money elsewhere.
    if not (0 < len(account) <= ACCOUNT_MAX_LEN and account.isascii() and account.isalnum()):
        raise ValueError(f"account must be 1-{ACCOUNT_MAX_LEN} ASCII letters or digits: {account!r}")
    if service not in (SERVICE_TO_ACCOUNT, SERVICE_TO_CARD):
        raise ValueError(f"unknown VietQR service code: {service!r}")
    if amount_vnd is not None and (
        isinstance(amount_vnd, bool) or amount_vnd <= 0 or len(str(amount_vnd)) > AMOUNT_MAX_LEN
    ):
        raise ValueError(f"amount must be a positive whole number of đồng: {amount_vnd!r}")

    beneficiary = _tlv("00", bank_bin) + _tlv("01", account)
    merchant = _tlv("00", NAPAS_GUID) + _tlv("01", beneficiary) + _tlv("02", service)
    parts = [
        _tlv("00", "01"),
        _tlv("01", "11" if amount_vnd is None else "12"),  # 11 static (reusable), 12 dynamic (one sale)
        _tlv("38", merchant),
        _tlv("53", CURRENCY_VND),
    ]
    if amount_vnd is not None:
        parts.append(_tlv("54", str(amount_vnd)))
    parts.append(_tlv("58", COUNTRY_VN))
    note = clean_purpose(purpose)
    if note:
        parts.append(_tlv("62", _tlv("08", note)))
    body = "".join(parts) + "6304"
    return f"{body}{crc16_ccitt(body.encode('ascii')):04X}"


def parse_tlv(payload: str) -> dict[str, str]:
    """Split one level of TLV fields into {tag: value}; parse nested templates by calling again."""
    fields: dict[str, str] = {}
    pos = 0
    while pos < len(payload):
        header = payload[pos : pos + 4]
        if len(header) < 4 or not header.isascii() or not header.isdigit():
            raise ValueError(f"malformed TLV header at {pos}: {header!r}")
        tag, length = header[:2], int(header[2:])
        value = payload[pos + 4 : pos + 4 + length]
        if len(value) != length:
            raise ValueError(f"field {tag} at {pos} is truncated")
        fields[tag] = value
        pos += 4 + length
    return fields


def verify_crc(payload: str) -> bool:
    """True when the payload ends in a "6304" CRC field that matches the rest of it."""
    if len(payload) < 8 or payload[-8:-4] != "6304" or not payload.isascii():
        return False
    try:
        expected = int(payload[-4:], 16)
    except ValueError:
        return False
    return crc16_ccitt(payload[:-4].encode("ascii")) == expected


def _qr(
    payload: str, box_size: int = 8, image_factory: type | None = None, mask_pattern: int | None = None
) -> qrcode.QRCode:
    """A QR symbol with error correction M and the standard 4-module quiet zone (the best of the 8 masks
    unless ``mask_pattern`` is given)."""
    qr = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M,
        box_size=box_size,
        border=4,
        image_factory=image_factory,
        mask_pattern=mask_pattern,
    )
    qr.add_data(payload)
    qr.make(fit=True)
    return qr


def qr_matrix(payload: str) -> list[list[bool]]:
    """The QR modules, quiet zone included, for drawing as vectors (receipts).

    One fixed mask: choosing the best of the eight took half the time of a whole receipt job
    (bench/print.py, profiled), and any mask is a valid symbol that scanners read.
    """
    return _qr(payload, mask_pattern=0).get_matrix()


def dark_runs(matrix: Sequence[Sequence[bool]]) -> Iterator[tuple[int, int, int]]:
    """Each run of dark modules in a row as (row, first column, column after it).

    Drawn as one rectangle a run, a QR has no hairline seams between neighbouring modules.
    """
    for r, row in enumerate(matrix):
        col = 0
        while col < len(row):
            if not row[col]:
                col += 1
                continue
            start = col
            while col < len(row) and row[col]:
                col += 1
            yield r, start, col


def qr_png(payload: str, box_size: int = 8) -> bytes:
    """The QR code as a PNG image."""
    buf = io.BytesIO()
    _qr(payload, box_size).make_image().save(buf)
    return buf.getvalue()


def qr_svg(payload: str) -> str:
    """The QR code as an inline SVG string (one path), for the till screen without any network."""
    image = _qr(payload, image_factory=qrcode.image.svg.SvgPathImage).make_image()
    return image.to_string(encoding="unicode")
