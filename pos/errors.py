"""Domain errors with a Vietnamese message, mapped to HTTP answers in one place."""

from __future__ import annotations

from typing import Any

from flask import Flask, flash, jsonify, redirect, render_template, request
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response


class PosError(Exception):
    """A refusal the user can act on; ``message`` is shown as it is."""

    status = 400

    def __init__(self, message: str, field: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.details = details


class ValidationError(PosError):
    """Input that does not make sense (empty, absurd, malformed)."""

    status = 422


class NotFound(PosError):
    """The thing asked for does not exist."""

    status = 404


class Conflict(PosError):
    """The request clashes with what is already recorded (duplicate barcode, closed period)."""

    status = 409


class Forbidden(PosError):
    """The user may not do this."""

    status = 403


def wants_json() -> bool:
    """Whether the caller is a script or the till's fetch() rather than a page."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["application/json", "text/html"])
    return best == "application/json" and request.accept_mimetypes[best] > request.accept_mimetypes["text/html"]


def error_response(message: str, status: int, field: str | None = None) -> Response | tuple[Any, int]:
    """JSON for fetch() and the API; an error page for a browser."""
    if wants_json():
        body: dict[str, Any] = {"error": message}
        if field:
            body["field"] = field
        return jsonify(body), status
    return render_template("error.html", message=message, status=status), status


HTTP_MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    403: "Bạn không có quyền truy cập trang này.",
    404: "Không tìm thấy trang hoặc dữ liệu yêu cầu.",
    405: "Thao tác không được hỗ trợ.",
    413: "Tệp tải lên quá lớn.",
    429: "Bạn đã thử quá nhiều lần. Vui lòng đợi một lát rồi thử lại.",
    500: "Đã có lỗi hệ thống. Dữ liệu chưa được ghi; vui lòng thử lại.",
}


def register_error_handlers(app: Flask) -> None:
    """Map domain and HTTP errors to translated answers."""

    @app.errorhandler(PosError)
    def _pos_error(exc: PosError) -> Any:
        if not wants_json() and request.method == "POST" and exc.status in (409, 422) and request.referrer:
            flash(exc.message, "error")
            return redirect(request.referrer)
        return error_response(exc.message, exc.status, exc.field)

    @app.errorhandler(CSRFError)
    def _csrf_error(exc: CSRFError) -> Any:
        return error_response("Phiên làm việc đã hết hạn hoặc biểu mẫu không hợp lệ. Vui lòng tải lại trang.", 400)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        code = exc.code or 500
        response = app.make_response(error_response(HTTP_MESSAGES.get(code, exc.description or "Lỗi."), code))
        valid_methods = getattr(exc, "valid_methods", None)
        if code == 405 and valid_methods:  # RFC 9110: a 405 names the methods that would work
            response.headers["Allow"] = ", ".join(valid_methods)
        return response
