"""Viettel SInvoice's published API (as Odoo's l10n_vn_edi_viettel uses it; research file §7), over httpx.

- ``POST {base}/auth/login`` ``{username, password}`` -> ``access_token``, ``expires_in`` (about 5 minutes),
  sent back as the cookie ``access_token``; a token is renewed before it expires and once more when the
  server says it has expired;
- ``POST {base}/services/einvoiceapplication/api/InvoiceAPI/InvoiceWS/createInvoice/{MST}`` with the invoice as
  JSON (generalInvoiceInfo, buyerInfo, sellerInfo, payments, itemInfo, taxBreakdowns); the answer's
  ``result.invoiceNo`` and ``result.reservationCode`` (the buyer's lookup code); a non-empty ``code``,
  ``error`` or ``errorCode`` is a failure with its ``message`` / ``description``;
- ``POST …/InvoiceAPI/InvoiceWS/searchInvoiceByTransactionUuid`` (form-encoded supplierTaxCode,
  transactionUuid) before any resend after an unclear answer.

The JSON is drawn from the invoice's stored XML, so the provider receives exactly what was issued. The real
servers cannot be reached from the development machine: the client is tested against
pos/einvoice/fake_sinvoice.py, a local server that follows these requests and answers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime
from datetime import time as dtime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from lxml import etree

from pos.einvoice.provider import Accepted, Outgoing, ProviderRejected, ProviderUnavailable
from pos.einvoice.settings import Credentials

API = "/services/einvoiceapplication/api/InvoiceAPI/InvoiceWS"
PAYMENT_NAMES = {"TM": "TM", "CK": "CK", "TM/CK": "TM/CK"}
TAX_PERCENT = {"0%": 0, "5%": 5, "8%": 8, "10%": 10, "KCT": -2, "KKKNT": -1}
ADJUSTMENT_TYPES = {"original": "1", "replacement": "3", "adjustment": "5"}
_DUPLICATE_HINTS = ("DUPLICATE", "EXISTED", "ĐÃ TỒN TẠI")
_EXPIRED_HINTS = ("TOKEN", "EXPIRED", "HẾT HẠN")


def _num(text: str | None) -> float | int:
    if not text:
        return 0
    value = float(text)
    return int(value) if value.is_integer() else value


def invoice_json(invoice: Outgoing) -> dict[str, Any]:
    """The createInvoice body for an invoice's XML."""
    template_code, kind = invoice.template_code, invoice.kind
    root = etree.fromstring(invoice.xml, etree.XMLParser(resolve_entities=False, no_network=True))
    general = root.find("DLHDon/TTChung")
    content = root.find("DLHDon/NDHDon")
    buyer, seller, totals = content.find("NMua"), content.find("NBan"), content.find("TToan")
    day = datetime.fromisoformat(general.findtext("NLap"))
    issued_ms = int(datetime.combine(day.date(), dtime(12), ZoneInfo("Asia/Ho_Chi_Minh")).timestamp()) * 1000
    info: dict[str, Any] = {
        "transactionUuid": invoice.transaction_uuid,
        "invoiceType": general.findtext("KHMSHDon"),
        "templateCode": template_code,
        "invoiceSeries": general.findtext("KHMSHDon") + general.findtext("KHHDon"),
        "invoiceIssuedDate": issued_ms,
        "currencyCode": "VND",
        "adjustmentType": ADJUSTMENT_TYPES.get(kind, "1"),
        "paymentStatus": True,
        "cusGetInvoiceRight": True,
        "validation": 1,
    }
    related = general.find("TTHDLQuan")
    if related is not None:
        info |= {
            "originalInvoiceId": invoice.original_transaction_uuid,
            "originalInvoiceIssueDate": int(datetime.fromisoformat(related.findtext("NLHDCLQuan")).timestamp()) * 1000,
            "originalTemplateCode": template_code,
            "additionalReferenceDesc": related.findtext("GChu") or "",
            "additionalReferenceDate": issued_ms,
        }
        if kind == "adjustment":
            info["adjustmentInvoiceType"] = "1"  # an adjustment of money (a return), as Odoo's POS refunds
    has_buyer = bool(buyer.findtext("MST") or buyer.findtext("CCCDan") or buyer.findtext("SDThoai"))
    items = []
    for item in content.findall("DSHHDVu/HHDVu"):
        rate = TAX_PERCENT.get(item.findtext("TSuat") or "", -2)
        amount = _num(item.findtext("ThTien"))
        items.append(
            {
                "lineNumber": int(item.findtext("STT")),
                "selection": int(item.findtext("TChat")),
                "itemCode": item.findtext("MHHDVu") or "",
                "itemName": item.findtext("THHDVu"),
                "unitName": item.findtext("DVTinh") or "",
                "unitPrice": _num(item.findtext("DGia")),
                "quantity": _num(item.findtext("SLuong")),
                "discount": _num(item.findtext("STCKhau")),
                "itemTotalAmountWithoutTax": amount,
                "itemTotalAmountAfterDiscount": amount,
                "taxPercentage": rate,
                **({"isIncreaseItem": amount >= 0} if kind == "adjustment" else {}),
            }
        )
    return {
        "generalInvoiceInfo": info,
        "buyerInfo": {
            "buyerName": buyer.findtext("HVTNMHang") or buyer.findtext("Ten") or "",
            "buyerLegalName": buyer.findtext("Ten") if buyer.findtext("MST") else "",
            "buyerTaxCode": buyer.findtext("MST") or "",
            "buyerAddressLine": buyer.findtext("DChi") or "",
            "buyerPhoneNumber": buyer.findtext("SDThoai") or "",
            "buyerEmail": buyer.findtext("DCTDTu") or "",
            "buyerIdNo": buyer.findtext("CCCDan") or "",
            "buyerNotGetInvoice": 0 if has_buyer else 1,
        },
        "sellerInfo": {
            "sellerLegalName": seller.findtext("Ten"),
            "sellerTaxCode": seller.findtext("MST"),
            "sellerAddressLine": seller.findtext("DChi"),
            "sellerPhoneNumber": seller.findtext("SDThoai") or "",
        },
        "payments": [{"paymentMethodName": PAYMENT_NAMES[general.findtext("HTTToan")]}],
        "itemInfo": items,
        "taxBreakdowns": [
            {
                "taxPercentage": TAX_PERCENT.get(row.findtext("TSuat"), -2),
                "taxableAmount": _num(row.findtext("ThTien")),
                "taxAmount": _num(row.findtext("TThue")),
            }
            for row in totals.findall("THTTLTSuat/LTSuat")
        ],
        "summarizeInfo": {
            "totalAmountWithoutTax": _num(totals.findtext("TgTCThue") or totals.findtext("TgTTTBSo")),
            "totalTaxAmount": _num(totals.findtext("TgTThue")),
            "totalAmountWithTax": _num(totals.findtext("TgTTTBSo")),
            "discountAmount": _num(totals.findtext("TTCKTMai")),
        },
        "metadata": [{"keyTag": "mccqt", "stringValue": root.findtext("MCCQT"), "valueType": "text"}],
    }


class SInvoiceClient:
    """Viettel SInvoice behind the Provider interface."""

    def __init__(
        self,
        base_url: str,
        tax_code: str,
        credentials: Credentials,
        *,
        timeout_s: float = 60.0,
        transport: httpx.BaseTransport | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.tax_code = tax_code
        self.credentials = credentials
        self.clock = clock
        self.http = httpx.Client(base_url=base_url.rstrip("/"), timeout=timeout_s, transport=transport)
        self._token: str | None = None
        self._token_until = 0.0

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    # -- the interface --

    def send(self, invoice: Outgoing) -> Accepted:
        """createInvoice; a duplicate key is looked up and taken as the invoice already there."""
        answer = self._call("POST", f"{API}/createInvoice/{self.tax_code}", json=invoice_json(invoice))
        problem = _problem(answer)
        if problem:
            if any(hint in problem.upper() for hint in _DUPLICATE_HINTS):
                found = self.find(invoice.transaction_uuid)
                if found is not None:
                    return found
            raise ProviderRejected(problem[:500])
        return _accepted(answer.get("result"))

    def find(self, transaction_uuid: str) -> Accepted | None:
        """searchInvoiceByTransactionUuid."""
        answer = self._call(
            "POST",
            f"{API}/searchInvoiceByTransactionUuid",
            data={"supplierTaxCode": self.tax_code, "transactionUuid": transaction_uuid},
        )
        result = answer.get("result")
        if _problem(answer) or not result:
            return None
        return _accepted(result[0] if isinstance(result, list) else result)

    # -- plumbing --

    def _login(self) -> str:
        answer = self._request(
            "POST", "/auth/login", json={"username": self.credentials.username, "password": self.credentials.password}
        )
        token = answer.get("access_token")
        if not isinstance(token, str) or not token:
            raise ProviderRejected(_problem(answer) or "Nhà cung cấp hóa đơn từ chối đăng nhập.")
        expires = answer.get("expires_in")
        lifetime = float(expires) if isinstance(expires, int | float) and not isinstance(expires, bool) else 300.0
        self._token, self._token_until = token, self.clock() + max(lifetime - 30, 1)
        return token

    def _call(self, method: str, path: str, **kw: Any) -> dict[str, Any]:
        for attempt in (1, 2):
            token = self._token if self._token and self.clock() < self._token_until else self._login()
            try:
                return self._request(method, path, cookies={"access_token": token}, **kw)
            except _Expired:
                self._token = None
                if attempt == 2:
                    raise ProviderUnavailable("Phiên đăng nhập nhà cung cấp hết hạn liên tục.") from None
        raise AssertionError("unreachable")

    def _request(self, method: str, path: str, cookies: dict[str, str] | None = None, **kw: Any) -> dict[str, Any]:
        try:
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())} if cookies else None
            response = self.http.request(method, path, headers=headers, **kw)
        except httpx.TimeoutException as exc:
            raise ProviderUnavailable("Nhà cung cấp hóa đơn không trả lời kịp (hết thời gian chờ).") from exc
        except httpx.HTTPError as exc:
            raise ProviderUnavailable(f"Không kết nối được nhà cung cấp hóa đơn: {type(exc).__name__}.") from exc
        if response.status_code == 401:
            raise _Expired()
        try:
            answer = response.json()
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            kind = "trang HTML" if "html" in response.headers.get("content-type", "") else "dữ liệu không đọc được"
            raise ProviderUnavailable(f"Nhà cung cấp hóa đơn trả về {kind} (HTTP {response.status_code}).")
        problem = _problem(answer)
        if problem and any(h in problem.upper() for h in _EXPIRED_HINTS) and path != "/auth/login":
            raise _Expired()
        if response.status_code >= 500:
            raise ProviderUnavailable(f"Nhà cung cấp hóa đơn đang lỗi (HTTP {response.status_code}).")
        if response.status_code >= 400 and not problem:
            raise ProviderUnavailable(f"Nhà cung cấp hóa đơn trả lời HTTP {response.status_code}.")
        return answer


class _Expired(Exception):
    """The provider says the token has expired."""


def _problem(answer: dict[str, Any]) -> str:
    """The provider's failure message, '' on success."""
    for key in ("code", "error", "errorCode"):
        value = answer.get(key)
        if value not in (None, "", 0, False):
            message = answer.get("message") or answer.get("description") or ""
            return f"{value}: {message}".strip(": ") if isinstance(value, str) else str(message or value)
    return ""


def _accepted(result: Any) -> Accepted:
    if not isinstance(result, dict) or not result.get("invoiceNo"):
        raise ProviderUnavailable("Câu trả lời của nhà cung cấp thiếu số hóa đơn (invoiceNo).")
    return Accepted(str(result["invoiceNo"])[:40], str(result.get("reservationCode") or "")[:60])
