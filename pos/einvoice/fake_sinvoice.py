"""A local stand-in for Viettel SInvoice that follows its documented requests and answers (pos/einvoice/viettel.py).

The real servers cannot be reached from here, so the client, the sender and ``bench/einvoice.py`` talk to this
one. It keeps invoices by transactionUuid (a second createInvoice under the same key answers with a duplicate
error, as the provider does) and can be told to misbehave for the next N calls of createInvoice with
``POST /_fake/script`` ``{"faults": ["timeout", "reject", "html", "garbage", "expire", "down", "lost"]}``:

- ``timeout``: keeps the invoice, then answers only after ``delay_s`` (the client has given up by then);
- ``lost``: keeps the invoice, then fails inside: the answer is the server's own plain-text 500 page;
- ``reject``: refuses it with an error code and a message; ``down``: HTTP 503 in JSON;
- ``html``: a 502 HTML page, as a proxy in front of the provider would give; ``garbage``: bytes that are not JSON;
- ``expire``: every token expires now, so the call is answered 401 until the client logs in again.

``GET /_fake/invoices`` lists what it holds. Run it alone with ``python -m pos.einvoice.fake_sinvoice PORT``.
"""

from __future__ import annotations

import json
import secrets
import sys
import threading
import time
from typing import Any

from werkzeug.exceptions import NotFound
from werkzeug.wrappers import Request, Response

from pos.threaded_server import ThreadedServer

API = "/services/einvoiceapplication/api/InvoiceAPI/InvoiceWS"


class FakeSInvoice:
    """The WSGI app and its state."""

    def __init__(self, username: str = "demo", password: str = "demo-pass", token_life_s: int = 300) -> None:
        self.username, self.password, self.token_life_s = username, password, token_life_s
        self.tokens: dict[str, float] = {}
        self.invoices: dict[str, dict[str, Any]] = {}
        self.faults: list[str] = []
        self.delay_s = 2.0
        self.calls: dict[str, int] = {"login": 0, "create": 0, "search": 0}
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        request = Request(environ)
        try:
            response = self.route(request)
        except NotFound:
            response = _json({"code": "NOT_FOUND", "message": request.path}, 404)
        return response(environ, start_response)

    def route(self, request: Request) -> Response:
        path = request.path
        if path == "/auth/login" and request.method == "POST":
            return self.login(request)
        if path == "/_fake/script" and request.method == "POST":
            data = request.get_json(force=True)
            with self.lock:
                self.faults.extend(data.get("faults", []))
                self.delay_s = float(data.get("delay_s", self.delay_s))
            return _json({"ok": True})
        if path == "/_fake/invoices":
            with self.lock:
                return _json({"invoices": list(self.invoices.values()), "calls": self.calls})
        if path.startswith(f"{API}/createInvoice/") and request.method == "POST":
            return self.create(request, path.rsplit("/", 1)[1])
        if path == f"{API}/searchInvoiceByTransactionUuid" and request.method == "POST":
            return self.search(request)
        raise NotFound()

    def login(self, request: Request) -> Response:
        with self.lock:
            self.calls["login"] += 1
        data = request.get_json(silent=True) or {}
        if data.get("username") != self.username or data.get("password") != self.password:
            return _json({"code": "AUTH_FAILED", "message": "Sai tên đăng nhập hoặc mật khẩu"}, 400)
        token = secrets.token_hex(16)
        with self.lock:
            self.tokens[token] = time.monotonic() + self.token_life_s
        return _json({"access_token": token, "token_type": "bearer", "expires_in": self.token_life_s})

    def _authorized(self, request: Request) -> bool:
        until = self.tokens.get(request.cookies.get("access_token", ""))
        return until is not None and until > time.monotonic()

    def create(self, request: Request, tax_code: str) -> Response:
        with self.lock:
            self.calls["create"] += 1
            fault = self.faults.pop(0) if self.faults else ""
            if fault == "expire":
                self.tokens.clear()
        if not self._authorized(request):
            return _json({"error": "invalid_token", "error_description": "Access token expired"}, 401)
        if fault == "down":
            return _json({"code": 503, "message": "Service Unavailable"}, 503)
        if fault == "html":
            return Response("<html><body><h1>502 Bad Gateway</h1></body></html>", 502, mimetype="text/html")
        if fault == "garbage":
            return Response(b"\x00\x01{not json", 200, mimetype="application/json")
        if fault == "reject":
            return _json({"code": "INVALID_DATA", "message": "Mã số thuế người mua không tồn tại"}, 200)
        data = request.get_json(silent=True)
        info = (data or {}).get("generalInvoiceInfo") or {}
        key = info.get("transactionUuid")
        if not key or not data.get("itemInfo"):
            return _json({"code": "BAD_REQUEST", "message": "Thiếu transactionUuid hoặc itemInfo"}, 400)
        with self.lock:
            if key in self.invoices:
                return _json({"errorCode": "INVOICE_DUPLICATE", "description": "transactionUuid đã tồn tại"}, 200)
            number = f"{info.get('invoiceSeries', '')}{len(self.invoices) + 1}"
            self.invoices[key] = {
                "transactionUuid": key,
                "supplierTaxCode": tax_code,
                "invoiceNo": number,
                "reservationCode": secrets.token_hex(5).upper(),
                "body": data,
            }
            held = dict(self.invoices[key])
        if fault == "timeout":
            time.sleep(self.delay_s)
        if fault == "lost":
            raise ConnectionAbortedError("connection dropped by the fake")  # waitress closes the connection
        return _json({"errorCode": None, "description": None, "result": _result(held)})

    def search(self, request: Request) -> Response:
        with self.lock:
            self.calls["search"] += 1
        if not self._authorized(request):
            return _json({"error": "invalid_token", "error_description": "Access token expired"}, 401)
        key = request.form.get("transactionUuid", "")
        with self.lock:
            held = self.invoices.get(key)
        if held is None:
            return _json({"errorCode": None, "description": None, "result": []})
        return _json({"errorCode": None, "description": None, "result": [_result(held)]})


def _result(held: dict[str, Any]) -> dict[str, Any]:
    return {
        "supplierTaxCode": held["supplierTaxCode"],
        "invoiceNo": held["invoiceNo"],
        "transactionID": held["transactionUuid"],
        "reservationCode": held["reservationCode"],
    }


def _json(data: Any, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), status, mimetype="application/json")


class FakeServer(ThreadedServer):
    """The fake served by waitress on a free loopback port, in a background thread."""

    def __init__(self, fake: FakeSInvoice | None = None, threads: int = 4) -> None:
        self.fake = fake or FakeSInvoice()
        super().__init__(self.fake, threads)


if __name__ == "__main__":
    from waitress import serve

    serve(FakeSInvoice(), host="127.0.0.1", port=int(sys.argv[1]) if len(sys.argv) > 1 else 8200)
