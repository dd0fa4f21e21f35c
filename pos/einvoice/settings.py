"""The showroom's e-invoice settings: config.toml's [einvoice] table, checked once, plus the provider's
credentials kept in the instance folder (like the sync secret), never in config.toml or the repository.

A symbol (ký hiệu) belongs to a till or, by default, to the showroom: ``[einvoice] letters = "AB"`` and, per till,
``[[einvoice.till]] code = "Q2", letters = "AC", issuer = 2`` (a till's code; its shifts' sales use it). The
symbol printed is the form, ``C``, the invoice's two-digit year, ``M`` and the letters (``1C26MAB``), so it rolls
over on 1 January by itself. ``issuer`` is the
3-digit number that starts the 11 digits of the MCCQT (pos/numbering.py): it must be unique across every till of
the enterprise that shares the tax authority's 5-character code, so the central office hands them out.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pos.einvoice.taxcode import normalize_tax_code
from pos.errors import PosError, ValidationError

CREDENTIALS_FILE = "einvoice_credentials.json"
VAT_METHODS = {"deduction": 1, "direct": 2}  # phương pháp khấu trừ -> form 1; trực tiếp -> form 2
_LETTERS = re.compile(r"^[A-Z]{2}$")
_PREFIX = re.compile(r"^[0-9A-Z]{5}$")


@dataclass(frozen=True)
class TillSymbol:
    """The letters and MCCQT issuer number of one till (or of the showroom's default)."""

    letters: str
    issuer: int


@dataclass(frozen=True)
class EinvoiceSettings:
    """Everything issuing and sending need, read once from the app's config."""

    enabled: bool
    seller_tax_code: str
    seller_name: str
    seller_address: str
    seller_phone: str
    form: int
    tax_authority_code: str
    default: TillSymbol
    tills: dict[str, TillSymbol] = field(default_factory=dict)
    provider: str = "viettel"
    provider_url: str = ""
    template_code: str = ""
    timeout_s: float = 60.0
    send_every_s: float = 30.0
    tz_name: str = "Asia/Ho_Chi_Minh"

    def symbol_for(self, till_code: str | None) -> TillSymbol:
        """The till's own symbol, else the showroom's."""
        return self.tills.get(till_code or "", self.default)


def _symbol(raw: Mapping[str, Any], where: str) -> TillSymbol:
    letters = str(raw.get("letters", "")).strip().upper()
    if not _LETTERS.match(letters):
        raise ValidationError(f"{where}: ký hiệu hóa đơn cần đúng 2 chữ cái in hoa (ví dụ AB).", "letters")
    issuer = raw.get("issuer", 1)
    if not isinstance(issuer, int) or isinstance(issuer, bool) or not 0 <= issuer <= 999:
        raise ValidationError(f"{where}: issuer phải là số từ 0 đến 999.", "issuer")
    return TillSymbol(letters, issuer)


def read_settings(config: Mapping[str, Any]) -> EinvoiceSettings:
    """The [einvoice] settings of the app's config, checked; ValidationError says which key is wrong."""
    enabled = bool(config.get("EINVOICE_ENABLED", False))
    method = str(config.get("EINVOICE_VAT_METHOD", "deduction"))
    if method not in VAT_METHODS:
        raise ValidationError("[einvoice] vat_method phải là “deduction” (khấu trừ) hoặc “direct” (trực tiếp).")
    prefix = str(config.get("EINVOICE_TAX_AUTHORITY_CODE", "")).strip().upper()
    tax_code = str(config.get("SHOWROOM_TAX_CODE", ""))
    if enabled:
        tax_code = normalize_tax_code(tax_code, "SHOWROOM_TAX_CODE")
        if not _PREFIX.match(prefix):
            raise ValidationError(
                "[einvoice] tax_authority_code: cần đúng 5 ký tự (chữ in hoa hoặc số) do cơ quan thuế cấp.",
                "tax_authority_code",
            )
    default = _symbol(
        {"letters": config.get("EINVOICE_LETTERS", "YY"), "issuer": config.get("EINVOICE_ISSUER", 1)}, "[einvoice]"
    )
    tills: dict[str, TillSymbol] = {}
    for raw in config.get("EINVOICE_TILL") or []:
        code = str(raw.get("code", "")).strip() if isinstance(raw, Mapping) else ""
        if not code or code in tills:
            raise ValidationError("[[einvoice.till]]: mỗi quầy cần một code riêng.", "till")
        tills[code] = _symbol(raw, f"[[einvoice.till]] {code}")
    by_issuer: dict[int, str] = {}
    for symbol in [default, *tills.values()]:
        if by_issuer.setdefault(symbol.issuer, symbol.letters) != symbol.letters:
            raise ValidationError("[einvoice]: hai ký hiệu khác nhau không được dùng chung một số issuer.", "issuer")
    return EinvoiceSettings(
        enabled=enabled,
        seller_tax_code=tax_code,
        seller_name=str(config.get("SHOWROOM_NAME", "")),
        seller_address=str(config.get("SHOWROOM_ADDRESS", "")),
        seller_phone=str(config.get("SHOWROOM_PHONE") or ""),
        form=VAT_METHODS[method],
        tax_authority_code=prefix,
        default=default,
        tills=tills,
        provider=str(config.get("EINVOICE_PROVIDER", "viettel")),
        provider_url=str(config.get("EINVOICE_PROVIDER_URL", "")),
        template_code=str(config.get("EINVOICE_TEMPLATE_CODE", "")),
        timeout_s=float(config.get("EINVOICE_TIMEOUT_S", 60)),
        send_every_s=float(config.get("EINVOICE_SEND_EVERY_S", 30)),
        tz_name=str(config.get("SHOWROOM_TIMEZONE") or "Asia/Ho_Chi_Minh"),
    )


def settings_or_none(config: Mapping[str, Any]) -> EinvoiceSettings | None:
    """The settings when e-invoices are on, else None."""
    if not config.get("EINVOICE_ENABLED", False):
        return None
    return read_settings(config)


# Credentials ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Credentials:
    """The provider account (Viettel SInvoice: user name and password)."""

    username: str
    password: str


def read_credentials(config: Mapping[str, Any]) -> Credentials | None:
    """$POS_EINVOICE_USERNAME/PASSWORD, else instance/einvoice_credentials.json; None when neither is set."""
    user, password = str(config.get("EINVOICE_USERNAME") or ""), str(config.get("EINVOICE_PASSWORD") or "")
    if user and password:
        return Credentials(user, password)
    path = Path(str(config.get("INSTANCE_PATH", "instance"))) / CREDENTIALS_FILE
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Credentials(str(data["username"]), str(data["password"]))
    except (ValueError, KeyError, TypeError) as exc:
        raise PosError(f"Tệp {CREDENTIALS_FILE} trong thư mục instance bị hỏng; hãy nhập lại tài khoản.") from exc


def save_credentials(config: Mapping[str, Any], username: str, password: str) -> Path:
    """Keep the provider account in the instance folder, readable by this account only (where the OS allows)."""
    if not username.strip() or not password:
        raise ValidationError("Cần tên đăng nhập và mật khẩu của nhà cung cấp hóa đơn điện tử.")
    path = Path(str(config.get("INSTANCE_PATH", "instance"))) / CREDENTIALS_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"username": username.strip(), "password": password}), encoding="utf-8")
    with contextlib.suppress(OSError):  # Windows keeps its own ACLs
        os.chmod(path, 0o600)
    return path


_APP_KEY = "pos.einvoice.settings"


def app_settings(app: Any) -> EinvoiceSettings | None:
    """The app's settings, read and checked once (None when e-invoices are off)."""
    if _APP_KEY not in app.extensions:
        app.extensions[_APP_KEY] = settings_or_none(app.config)
    return app.extensions[_APP_KEY]
