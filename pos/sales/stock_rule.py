"""What the till says when a scan asks for more than the stock on hand, following [stock] allow_negative.

Found at payment, a shortfall kept the customer waiting; it is now said at the scan, in the cashier's words.
Stock may not go negative: the scan (or the +, or the typed quantity) that would pass the stock is refused
and the cart stays as it was. Stock may go negative: the item goes in, with a warning to tell the manager.

Stock held for a confirmed company order (pos/orders/reservations.py) is not the till's to sell: the line's
``on_hand`` arrives with it taken off (``reserved``), and the same rule decides a company order's confirmation.
"""

from __future__ import annotations

from typing import Any

from pos.errors import Conflict


class OutOfStock(Conflict):
    """More of a product in the cart than the stock on hand, where stock may not go negative."""


def _in_stock(on_hand: int, unit: str, reserved: int = 0) -> str:
    kept = f" (đang giữ {f'{reserved} {unit}'.strip()} cho đơn đặt hàng)" if reserved > 0 else ""
    return (f"kho chỉ còn {max(on_hand, 0)} {unit}".strip() if on_hand > 0 else "kho đã hết hàng") + kept


def check_line(line: dict[str, Any], allow_negative: bool) -> str | None:
    """None when the cart's line is covered by stock; else the warning to show, or OutOfStock if not allowed."""
    qty, on_hand = int(line["qty"]), int(line["on_hand"])
    if qty <= on_hand:
        return None
    name, unit, reserved = line["name"], line.get("unit") or "", int(line.get("reserved") or 0)
    if not allow_negative:
        raise OutOfStock(
            f"Không thêm được “{name}”: {_in_stock(on_hand, unit, reserved)}, đơn cần {qty}. "
            "Nếu trên kệ vẫn còn hàng, báo quản lý kiểm tra tồn kho.",
            "code",
            on_hand=on_hand,
        )
    return (
        f"Lưu ý: “{name}” {_in_stock(on_hand, unit, reserved)} mà đơn có {qty}; bán tiếp tồn kho sẽ bị âm. "
        "Báo quản lý kiểm tra tồn kho."
    )
