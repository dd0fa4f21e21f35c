"""Tax codes (mã số thuế): 10 digits with a check digit, a dependent unit's ``-NNN``, or a 12-digit personal ID.

The check digit (research file §8): N10 = 10 − (Σ Nᵢ·Wᵢ mod 11) with W = 31, 29, 23, 19, 17, 13, 7, 5, 3; a
remainder of 10 gives 0 and a remainder of 0 gives 10, which no valid code can have.
"""

from __future__ import annotations

from pos.errors import ValidationError
from pos.text import nfc

WEIGHTS = (31, 29, 23, 19, 17, 13, 7, 5, 3)


def check_digit(first_nine: str) -> int | None:
    """The 10th digit of a 10-digit tax code, or None where no digit fits (remainder 0)."""
    value = 10 - sum(int(d) * w for d, w in zip(first_nine, WEIGHTS, strict=True)) % 11
    return None if value == 10 else value % 10


def normalize_tax_code(raw: str | None, field: str = "tax_code", allow_personal: bool = True) -> str:
    """The tax code as the tax authority writes it ('0101243150', '0101243150-001', 12 digits); else refused."""
    text = "".join(nfc(raw).split())
    main, dash, branch = text.partition("-")
    if not (main.isascii() and main.isdigit()):
        raise ValidationError(
            "Mã số thuế chỉ gồm chữ số: 10 số (có thể thêm -001 cho chi nhánh) hoặc 12 số của hộ, cá nhân.", field
        )
    if len(main) == 12 and not dash:
        if not allow_personal:
            raise ValidationError("Mã số thuế phải có 10 chữ số.", field)
        return main
    if len(main) != 10:
        raise ValidationError(
            f"Mã số thuế có {len(main)} chữ số; cần 10 số (chi nhánh: 10 số và -NNN) hoặc 12 số của hộ, cá nhân.",
            field,
        )
    if check_digit(main[:9]) != int(main[9]):
        raise ValidationError(f"Mã số thuế {main} sai số kiểm tra (chữ số cuối); hãy xem lại từng chữ số.", field)
    if dash:
        if not (len(branch) == 3 and branch.isascii() and branch.isdigit() and branch != "000"):
            raise ValidationError("Mã chi nhánh sau dấu gạch phải gồm 3 chữ số, ví dụ 0101243150-001.", field)
        return f"{main}-{branch}"
    return main
