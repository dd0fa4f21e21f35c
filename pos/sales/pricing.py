"""The till's arithmetic on plain integers: line totals, discounts, VAT inside the prices, payments, change.

Prices are VAT-inclusive, so discounts reduce the VAT-inclusive amount and the VAT is then the part of
what the customer pays that belongs to the state. Nothing here touches the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pos.baskets.split import split_line
from pos.errors import ValidationError
from pos.money import BP, allocate, format_bp, format_vnd, percent_of, vat_included
from pos.quantity import PIECE, line_amount
from pos.sales.models import PAYMENT_METHODS
from pos.text import nfc

DISCOUNT_KINDS: dict[str, str] = {"percent": "Theo phần trăm", "amount": "Số tiền"}
MAX_AMOUNT_VND = 10**12  # far past any showroom sale; guards against a stuck key on the keypad
CASH_NOTES_VND = (50_000, 100_000, 200_000, 500_000)
LARGEST_NOTE_VND = 500_000


@dataclass(frozen=True)
class Discount:
    """A discount as the cashier typed it: percent in basis points, or an amount in đồng."""

    kind: str  # "percent" | "amount"
    value: int

    def __post_init__(self) -> None:
        if self.kind not in DISCOUNT_KINDS:
            raise ValidationError("Loại giảm giá không hợp lệ.", "discount_kind")
        if isinstance(self.value, bool) or not isinstance(self.value, int) or self.value < 0:
            raise ValidationError("Mức giảm giá phải là một số không âm.", "discount_value")
        if self.kind == "percent" and self.value > BP:
            raise ValidationError("Giảm giá không thể vượt quá 100%.", "discount_value")
        if self.kind == "amount" and self.value > MAX_AMOUNT_VND:
            raise ValidationError("Số tiền giảm quá lớn.", "discount_value")


@dataclass(frozen=True)
class DiscountLimits:
    """The largest effective discount a cashier, and a manager, may give (basis points)."""

    cashier_bp: int = 1000
    manager_bp: int = 5000


@dataclass(frozen=True)
class LineInput:
    """One cart line to price."""

    qty: int
    unit_price_vnd: int
    vat_rate_bp: int
    discount: Discount | None = None
    # A gift basket: (retail weight, VAT rate) of each component; its total is split by pos/baskets/split.py
    # and each part carries its own VAT. Empty for an ordinary product.
    parts: tuple[tuple[int, int], ...] = ()
    promo_vnd: int = 0  # what the line's promotion takes off (pos/promotions/engine.py), before any discount
    promotion_id: int | None = None
    promotion_name: str = ""
    sold_by: str = PIECE  # "weight": qty in grams, unit_price_vnd per kg


@dataclass(frozen=True)
class PricedLine:
    """A line with its discounts, total and VAT, all in đồng."""

    qty: int
    unit_price_vnd: int
    gross_vnd: int  # qty × unit price
    line_discount_vnd: int  # the promotion and the discount typed on the line
    sale_discount_vnd: int  # this line's share of the discount on the whole sale
    total_vnd: int  # what the customer pays for the line
    vat_rate_bp: int
    vat_vnd: int
    part_totals_vnd: tuple[int, ...] = ()  # a basket's components: what each brings in
    part_vats_vnd: tuple[int, ...] = ()
    part_rates_bp: tuple[int, ...] = ()
    promo_vnd: int = 0
    promotion_id: int | None = None
    promotion_name: str = ""

    @property
    def discount_vnd(self) -> int:
        """Both discounts together, as the sale line stores them."""
        return self.line_discount_vnd + self.sale_discount_vnd


@dataclass(frozen=True)
class VatPart:
    """The VAT contained in what was sold at one rate."""

    rate_bp: int
    gross_vnd: int
    vat_vnd: int


@dataclass(frozen=True)
class PricedSale:
    """A whole sale priced: lines, totals and the VAT per rate."""

    lines: list[PricedLine]
    subtotal_vnd: int  # before any discount
    line_discount_vnd: int
    sale_discount_vnd: int
    total_vnd: int
    vat: list[VatPart]

    @property
    def discount_vnd(self) -> int:
        """Every discount on the sale."""
        return self.line_discount_vnd + self.sale_discount_vnd

    @property
    def vat_vnd(self) -> int:
        """VAT contained in the total."""
        return sum(part.vat_vnd for part in self.vat)

    @property
    def net_before_sale_discount_vnd(self) -> int:
        """What the sale discount applies to: the lines after their own discounts."""
        return self.subtotal_vnd - self.line_discount_vnd


def line_gross(qty: int, unit_price_vnd: int, sold_by: str = PIECE) -> int:
    """Quantity times unit price (grams times the price per kg, half-up to the đồng, for weighed goods)."""
    return line_amount(qty, unit_price_vnd, sold_by)


def nominal_amount(base_vnd: int, discount: Discount) -> int:
    """The đồng a discount asks off ``base_vnd``, even beyond it (see discount_amount)."""
    return percent_of(base_vnd, discount.value) if discount.kind == "percent" else discount.value


def discount_amount(base_vnd: int, discount: Discount | None) -> int:
    """The đồng a discount takes off ``base_vnd``; refused if it would exceed the amount."""
    if discount is None:
        return 0
    amount = nominal_amount(base_vnd, discount)
    if amount > base_vnd:
        raise ValidationError(
            f"Giảm giá ({format_vnd(amount)}) không được lớn hơn số tiền được giảm ({format_vnd(base_vnd)}).",
            "discount_value",
        )
    return amount


def manual_after_promotion(gross_vnd: int, promo_vnd: int, discount: Discount | None) -> int:
    """A typed discount on what the promotion leaves; an amount typed before a promotion began is cut to fit."""
    if not promo_vnd:
        return discount_amount(gross_vnd, discount)
    base = gross_vnd - promo_vnd
    if discount is not None and discount.kind == "amount":
        return min(discount.value, base)
    return discount_amount(base, discount)


def with_promotion(discount: Discount, gross_vnd: int, promo_vnd: int) -> Discount:
    """The promotion and a typed discount as one amount, so the caps measure them together against the gross."""
    if not promo_vnd:
        return discount
    return Discount("amount", promo_vnd + manual_after_promotion(gross_vnd, promo_vnd, discount))


def price_sale(lines: Sequence[LineInput], sale_discount: Discount | None = None) -> PricedSale:
    """Price a sale: line discounts, then the sale discount spread over lines, then VAT per rate.

    The VAT of a rate is taken from the sum sold at that rate (one rounding per rate, as the receipt
    prints it) and spread back over its lines, so the lines always add up to the breakdown exactly.
    """
    gross = [line_gross(line.qty, line.unit_price_vnd, line.sold_by) for line in lines]
    promo = [min(max(line.promo_vnd, 0), g) for g, line in zip(gross, lines, strict=True)]
    line_disc = [
        p + manual_after_promotion(g, p, line.discount) for g, p, line in zip(gross, promo, lines, strict=True)
    ]
    net = [g - d for g, d in zip(gross, line_disc, strict=True)]
    sale_disc = discount_amount(sum(net), sale_discount)
    shares = allocate(sale_disc, net)
    totals = [n - s for n, s in zip(net, shares, strict=True)]

    # VAT is taken per rate over pieces: a product line is one piece, a basket one piece per component.
    pieces: list[tuple[int, int, int]] = []  # (line index, rate, total)
    piece_totals: list[list[int]] = [[] for _ in lines]
    for i, line in enumerate(lines):
        if line.parts:
            weights = [w for w, _ in line.parts]
            piece_totals[i] = split_line(gross[i], line_disc[i] + shares[i], weights)
            pieces.extend((i, rate, t) for (_, rate), t in zip(line.parts, piece_totals[i], strict=True))
        else:
            pieces.append((i, line.vat_rate_bp, totals[i]))
    piece_vat = [0] * len(pieces)
    parts: list[VatPart] = []
    for rate in sorted({rate for _, rate, _ in pieces}, reverse=True):
        members = [k for k, (_, r, _) in enumerate(pieces) if r == rate]
        rate_gross = sum(pieces[k][2] for k in members)
        rate_vat = vat_included(rate_gross, rate)
        for k, vat in zip(members, allocate(rate_vat, [pieces[k][2] for k in members]), strict=True):
            piece_vat[k] = vat
        parts.append(VatPart(rate, rate_gross, rate_vat))
    vat_of_line = [0] * len(lines)
    part_vats: list[list[int]] = [[] for _ in lines]
    for k, (i, _, _) in enumerate(pieces):
        vat_of_line[i] += piece_vat[k]
        if lines[i].parts:
            part_vats[i].append(piece_vat[k])

    priced = [
        PricedLine(
            qty=line.qty,
            unit_price_vnd=line.unit_price_vnd,
            gross_vnd=gross[i],
            line_discount_vnd=line_disc[i],
            sale_discount_vnd=shares[i],
            total_vnd=totals[i],
            vat_rate_bp=line.vat_rate_bp,
            vat_vnd=vat_of_line[i],
            part_totals_vnd=tuple(piece_totals[i]),
            part_vats_vnd=tuple(part_vats[i]),
            part_rates_bp=tuple(rate for _, rate in line.parts),
            promo_vnd=promo[i],
            promotion_id=line.promotion_id if promo[i] else None,
            promotion_name=line.promotion_name if promo[i] else "",
        )
        for i, line in enumerate(lines)
    ]
    return PricedSale(
        lines=priced,
        subtotal_vnd=sum(gross),
        line_discount_vnd=sum(line_disc),
        sale_discount_vnd=sale_disc,
        total_vnd=sum(totals),
        vat=parts,
    )


def exceeds_limit(discount: Discount, base_vnd: int, limit_bp: int) -> bool:
    """Whether a discount's effective percentage of ``base_vnd`` is above ``limit_bp`` (exact, no rounding)."""
    if discount.kind == "percent":
        return discount.value > limit_bp
    return discount.value * BP > limit_bp * base_vnd


def needs_approval(discount: Discount, base_vnd: int, limits: DiscountLimits) -> bool:
    """True when a manager must approve; ValidationError when even a manager may not give it."""
    discount_amount(base_vnd, discount)  # never more than the amount
    if exceeds_limit(discount, base_vnd, limits.manager_bp):
        raise ValidationError(
            f"Giảm giá vượt quá mức tối đa {format_bp(limits.manager_bp)} được phép, kể cả khi quản lý duyệt.",
            "discount_value",
        )
    return exceeds_limit(discount, base_vnd, limits.cashier_bp)


def approval_holds(discount: Discount, base_vnd: int, approved_base_vnd: int | None, approved_vnd: int | None) -> bool:
    """Whether a manager's approval, given for ``approved_vnd`` off ``approved_base_vnd``, still covers the discount.

    It covers the discount as approved on the base as it then stood: never more đồng off than approved, and
    never a larger share of a smaller base. A percentage on a grown base takes more đồng off; an amount on a
    shrunk base takes a larger share; both need the manager again. An approval that recorded no base covers
    nothing.
    """
    if approved_base_vnd is None or approved_vnd is None:
        return False
    if discount.kind == "percent":
        return nominal_amount(base_vnd, discount) <= approved_vnd
    return discount.value <= approved_vnd and base_vnd >= approved_base_vnd


@dataclass(frozen=True)
class PaymentInput:
    """A payment as entered: for cash, ``amount_vnd`` is what the customer handed over."""

    method: str
    amount_vnd: int
    reference: str = ""


@dataclass(frozen=True)
class SettledPayment:
    """A payment as recorded: the amount applied to the sale, and for cash the tendered and the change."""

    method: str
    amount_vnd: int
    tendered_vnd: int | None = None
    change_vnd: int | None = None
    reference: str = ""


def change_due(tendered_vnd: int, due_vnd: int) -> int:
    """Change to give back; refused when the customer handed over too little."""
    if tendered_vnd < due_vnd:
        raise ValidationError(f"Số tiền khách đưa chưa đủ: còn thiếu {format_vnd(due_vnd - tendered_vnd)}.", "tendered")
    return tendered_vnd - due_vnd


def settle_payments(payments: Sequence[PaymentInput], total_vnd: int) -> list[SettledPayment]:
    """Check a (split) payment against the total and work out the change.

    Card and transfer amounts are taken exactly as charged; only cash may be more than its share,
    and the excess is the change. The payments must cover the total.
    """
    if not payments:
        if total_vnd == 0:
            return []
        raise ValidationError("Chưa nhập số tiền thanh toán.", "payments")
    for payment in payments:
        if payment.method not in PAYMENT_METHODS:
            raise ValidationError("Hình thức thanh toán không hợp lệ.", "payments")
        amount = payment.amount_vnd
        if isinstance(amount, bool) or not isinstance(amount, int) or amount <= 0:
            raise ValidationError(f"Số tiền {PAYMENT_METHODS[payment.method].lower()} phải lớn hơn 0.", "payments")
        if amount > MAX_AMOUNT_VND:
            raise ValidationError("Số tiền thanh toán quá lớn.", "payments")
        if payment.method == "card" and not nfc(payment.reference):
            raise ValidationError("Nhập mã giao dịch (mã chuẩn chi) in trên phiếu của máy quẹt thẻ.", "reference")
    cash = [p for p in payments if p.method == "cash"]
    if len(cash) > 1:
        raise ValidationError("Chỉ nhập một khoản tiền mặt.", "payments")
    others = [p for p in payments if p.method != "cash"]
    others_vnd = sum(p.amount_vnd for p in others)
    if others_vnd > total_vnd:
        raise ValidationError(
            f"Tiền thẻ và chuyển khoản ({format_vnd(others_vnd)}) vượt quá số phải trả ({format_vnd(total_vnd)}).",
            "payments",
        )
    settled = [SettledPayment(p.method, p.amount_vnd, reference=nfc(p.reference)[:80]) for p in others]
    cash_due = total_vnd - others_vnd
    if not cash:
        if cash_due > 0:
            raise ValidationError(f"Số tiền khách đưa chưa đủ: còn thiếu {format_vnd(cash_due)}.", "payments")
        return settled
    if cash_due == 0:
        raise ValidationError("Thẻ và chuyển khoản đã đủ số phải trả; hãy bỏ khoản tiền mặt.", "payments")
    tendered = cash[0].amount_vnd
    change = change_due(tendered, cash_due)
    if change >= LARGEST_NOTE_VND:
        # Nobody hands over a note they do not need: this is a typo, or a barcode scanned into the cash field.
        raise ValidationError(
            f"Tiền thừa {format_vnd(change)} là quá nhiều; kiểm tra lại số tiền khách đưa ({format_vnd(tendered)}).",
            "tendered",
        )
    return [SettledPayment("cash", cash_due, tendered, change, nfc(cash[0].reference)[:80]), *settled]


def cash_suggestions(due_vnd: int) -> list[int]:
    """Quick amounts for the cash buttons: the exact sum, rounded-up sums and the notes that cover it."""
    if due_vnd <= 0:
        return []
    amounts = {due_vnd}
    for step in (10_000, 50_000, 100_000, 500_000):
        amounts.add(-(-due_vnd // step) * step)
    amounts.update(note for note in CASH_NOTES_VND if note >= due_vnd)
    return sorted(amounts)[:6]
