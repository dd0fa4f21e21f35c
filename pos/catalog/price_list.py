"""A producer's price list from CSV: a preview of every row, then all of it in one transaction.

Rows are matched to the producer's products by barcode, then SKU, then (when neither is given) by name.
Nothing is written while any row has a problem; the preview lists every problem of every bad row.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from pos.barcodes import DEFAULT_INSTORE_PREFIX, BarcodeError, normalize_barcode
from pos.catalog.models import PRODUCT_GROUPS, VAT_CLASSES, Product
from pos.catalog.services import (
    ProductInput,
    barcode_variants,
    create_product,
    get_producer,
    update_product,
    validate_product,
)
from pos.errors import ValidationError
from pos.money import format_vnd
from pos.text import fold, nfc

MAX_ROWS = 5000
COLUMNS = (
    "sku",
    "barcode",
    "name",
    "unit",
    "price_vnd",
    "vat_class",
    "ocop_group",
    "ocop_stars",
    "cert_number",
    "cert_expiry",
)
COLUMN_LABELS = {
    "sku": "SKU",
    "barcode": "Mã vạch",
    "name": "Tên sản phẩm",
    "unit": "Đơn vị",
    "price_vnd": "Giá bán",
    "vat_class": "Thuế GTGT",
    "ocop_group": "Nhóm",
    "ocop_stars": "Hạng sao",
    "cert_number": "Số GCN OCOP",
    "cert_expiry": "Hạn GCN",
}
# Header spellings accepted (compared folded: lower case, no diacritics, '_' as space).
HEADER_ALIASES: dict[str, str] = {
    "sku": "sku",
    "ma sku": "sku",
    "ma hang": "sku",
    "ma san pham": "sku",
    "barcode": "barcode",
    "ma vach": "barcode",
    "ean": "barcode",
    "name": "name",
    "ten": "name",
    "ten san pham": "name",
    "unit": "unit",
    "don vi": "unit",
    "don vi tinh": "unit",
    "dvt": "unit",
    "price vnd": "price_vnd",
    "price": "price_vnd",
    "gia": "price_vnd",
    "gia ban": "price_vnd",
    "don gia": "price_vnd",
    "vat class": "vat_class",
    "vat": "vat_class",
    "thue": "vat_class",
    "thue gtgt": "vat_class",
    "ocop group": "ocop_group",
    "group": "ocop_group",
    "nhom": "ocop_group",
    "nhom san pham": "ocop_group",
    "ocop stars": "ocop_stars",
    "stars": "ocop_stars",
    "sao": "ocop_stars",
    "hang sao": "ocop_stars",
    "cert number": "cert_number",
    "so gcn": "cert_number",
    "so giay chung nhan": "cert_number",
    "cert expiry": "cert_expiry",
    "han gcn": "cert_expiry",
    "ngay het han": "cert_expiry",
}
VAT_ALIASES = {
    **{key: key for key in VAT_CLASSES},
    "10": "standard",
    "10%": "standard",
    "8": "standard",
    "8%": "standard",
    "5": "reduced",
    "5%": "reduced",
    "0": "zero",
    "0%": "zero",
    "kct": "exempt",
    "khong chiu thue": "exempt",
}
GROUP_ALIASES = {**{key: key for key in PRODUCT_GROUPS}, **{fold(label): key for key, label in PRODUCT_GROUPS.items()}}
GROUP_ALIASES.update({"luu niem": "luu_niem", "may mac": "vai_may_mac", "vai": "vai_may_mac", "du lich": "du_lich"})

STATUS_LABELS = {"new": "Thêm mới", "update": "Cập nhật", "unchanged": "Không đổi", "error": "Lỗi"}


@dataclass
class PriceListRow:
    """One data row of the file and what importing it would do."""

    line_no: int  # line in the file, the header being line 1 (as a spreadsheet shows it)
    values: dict[str, str]
    status: str = "new"
    errors: list[str] = field(default_factory=list)
    product_id: int | None = None
    changes: list[str] = field(default_factory=list)
    data: ProductInput | None = None


@dataclass
class PriceListPreview:
    """The whole file checked: its rows, and whether it can be applied."""

    producer_id: int
    columns: list[str]
    ignored_columns: list[str]
    rows: list[PriceListRow]

    @property
    def is_clean(self) -> bool:
        """No row has a problem."""
        return not any(row.errors for row in self.rows)

    def count(self, status: str) -> int:
        """Rows with this status."""
        return sum(1 for row in self.rows if row.status == status)


def _fail(message: str) -> ValidationError:
    return ValidationError(message, "file")


def read_csv(data: bytes) -> tuple[list[str], list[str], list[tuple[int, list[str]]]]:
    """Decode and split the file: (columns, ignored header cells, [(line_no, cells)]). ValidationError if malformed."""
    if not data.strip():
        raise _fail("Tệp trống, không có dữ liệu.")
    if data.startswith(b"PK\x03\x04"):
        raise _fail("Đây là tệp Excel (.xlsx), không phải CSV. Trong Excel chọn Lưu thành → CSV UTF-8 rồi tải lại.")
    if b"\x00" in data[:65536]:
        raise _fail("Tệp không phải CSV dạng văn bản (có vẻ là tệp nhị phân hoặc mã hóa UTF-16).")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(
            "Tệp không đúng mã hóa UTF-8 (tiếng Việt sẽ bị lỗi font). "
            "Trong Excel chọn Lưu thành → CSV UTF-8 (phân cách bằng dấu phẩy) rồi tải lại."
        ) from exc

    first_line = next((line for line in text.splitlines() if line.strip()), "")
    delimiter = max((";", ",", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    try:
        header: list[str] = []
        while not any(cell.strip() for cell in header):
            header = next(reader)
        rows: list[tuple[int, list[str]]] = []
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue
            if len(rows) >= MAX_ROWS:
                limit = f"{MAX_ROWS:,}".replace(",", ".")
                raise _fail(f"Tệp có hơn {limit} dòng dữ liệu; hãy chia thành nhiều tệp nhỏ hơn.")
            rows.append((reader.line_num, [nfc(cell) for cell in cells]))
    except StopIteration as exc:
        raise _fail("Tệp trống, không có dữ liệu.") from exc
    except csv.Error as exc:
        raise _fail(f"Tệp CSV bị lỗi định dạng ở dòng {reader.line_num}: {exc}.") from exc

    columns: list[str] = []
    ignored: list[str] = []
    for cell in header:
        key = HEADER_ALIASES.get(fold(cell.replace("_", " ").replace("(dd/mm/yyyy)", "")).strip())
        if key is not None and key in columns:
            raise _fail(f"Cột “{nfc(cell)}” có hai lần trong dòng tiêu đề.")
        columns.append(key or "")
        if key is None and cell.strip():
            ignored.append(nfc(cell))
    if "name" not in columns or "price_vnd" not in columns:
        raise _fail(
            "Không thấy dòng tiêu đề với ít nhất hai cột name (tên sản phẩm) và price_vnd (giá bán). "
            "Dòng đầu của tệp phải là tiêu đề, ví dụ: " + ",".join(COLUMNS)
        )
    if not rows:
        raise _fail("Tệp chỉ có dòng tiêu đề, không có sản phẩm nào.")
    return columns, ignored, rows


def _row_values(columns: list[str], cells: list[str]) -> tuple[dict[str, str], list[str]]:
    errors = []
    extra = cells[len(columns) :]
    if any(cell.strip() for cell in extra):
        errors.append("Dòng có nhiều ô hơn dòng tiêu đề (kiểm tra dấu phân cách hoặc dấu ngoặc kép).")
    values = {key: "" for key in COLUMNS}
    for key, cell in zip(columns, cells, strict=False):
        if key:
            values[key] = cell.strip()
    return values, errors


def _match(session: Session, producer_id: int, values: dict[str, str], errors: dict[str, str]) -> Product | None:
    """The producer's product this row describes, if any; a code of another producer's product is refused."""
    target: Product | None = None
    code = ""
    if values["barcode"]:
        try:
            code = normalize_barcode(values["barcode"])
        except BarcodeError:
            code = ""  # validate_product reports it
    if code:
        owner = session.exec(select(Product).where(Product.barcode.in_(barcode_variants(code)))).first()  # type: ignore[union-attr]
        if owner is not None and owner.producer_id != producer_id:
            errors["barcode"] = f"Mã vạch {code} đã dùng cho sản phẩm “{owner.name}” của nhà sản xuất khác."
        elif owner is not None:
            target = owner
    if values["sku"]:
        owner = session.exec(select(Product).where(func.upper(Product.sku) == values["sku"].upper())).first()
        if owner is not None and owner.producer_id != producer_id:
            errors["sku"] = f"Mã SKU {values['sku']} đã dùng cho sản phẩm “{owner.name}” của nhà sản xuất khác."
        elif owner is not None and target is not None and owner.id != target.id:
            errors["sku"] = f"Mã vạch thuộc sản phẩm “{target.name}” nhưng mã SKU thuộc sản phẩm “{owner.name}”."
        elif owner is not None:
            target = owner
    if target is None and not values["barcode"] and not values["sku"] and values["name"]:
        same_name = session.exec(
            select(Product).where(Product.producer_id == producer_id, Product.name_search == fold(values["name"]))
        ).all()
        if len(same_name) == 1:
            target = same_name[0]
    return target


def _input(values: dict[str, str], producer_id: int, product: Product | None) -> ProductInput:
    """The row as a ProductInput; for an existing product a blank cell keeps what is recorded."""
    data = ProductInput.from_product(product) if product is not None else ProductInput()
    data.producer_id = producer_id
    data.name = values["name"]
    data.price_vnd = values["price_vnd"]
    if values["sku"]:
        data.sku = values["sku"]
    if values["barcode"]:
        data.barcode = values["barcode"]
    if values["unit"]:
        data.unit = values["unit"]
    if values["vat_class"]:
        key = fold(values["vat_class"])
        data.vat_class = VAT_ALIASES.get(key) or VAT_ALIASES.get(key.replace(" ", ""), values["vat_class"])
    if values["ocop_group"]:
        key = fold(values["ocop_group"])
        data.ocop_group = GROUP_ALIASES.get(key) or GROUP_ALIASES.get(key.replace("_", " "), values["ocop_group"])
    if values["ocop_stars"]:
        data.ocop_stars = fold(values["ocop_stars"]).replace("sao", "").strip()
    if values["cert_number"]:
        data.ocop_cert_number = values["cert_number"]
    if values["cert_expiry"]:
        data.ocop_cert_expiry = values["cert_expiry"]
    return data


# What a product field is called when the preview lists an update's changes.
_CHANGE_LABELS = {
    "name": "Tên",
    "price_vnd": "Giá bán",
    "sku": "SKU",
    "barcode": "Mã vạch",
    "unit": "Đơn vị",
    "vat_class": "Thuế GTGT",
    "ocop_group": "Nhóm",
    "ocop_stars": "Hạng sao",
    "ocop_cert_number": "Số GCN",
    "ocop_cert_expiry": "Hạn GCN",
}


def _show(key: str, value: Any) -> str:
    if value is None or value == "":
        return "—"
    if key == "price_vnd":
        return format_vnd(value)
    if key == "ocop_cert_expiry":
        return value.strftime("%d/%m/%Y")
    if key == "ocop_group":
        return PRODUCT_GROUPS.get(value, value)
    return str(value)


def preview_price_list(session: Session, producer_id: int, data: bytes) -> PriceListPreview:
    """Check every row of the file against the catalogue and each other; write nothing."""
    producer = get_producer(session, producer_id)
    columns, ignored, raw_rows = read_csv(data)
    rows: list[PriceListRow] = []
    seen_barcodes: dict[str, PriceListRow] = {}
    seen_skus: dict[str, PriceListRow] = {}
    seen_products: dict[int, PriceListRow] = {}
    for line_no, cells in raw_rows:
        values, errors = _row_values(columns, cells)
        row = PriceListRow(line_no=line_no, values=values, errors=errors)
        rows.append(row)
        code_errors: dict[str, str] = {}
        product = _match(session, producer.id, values, code_errors)  # type: ignore[arg-type]
        row.errors.extend(code_errors.values())
        row.data = _input(values, producer.id, product)  # type: ignore[arg-type]
        try:
            clean = validate_product(session, row.data, product)
        except ValidationError as exc:
            for name, message in exc.details.get("errors", {exc.field: exc.message}).items():
                if name not in code_errors:  # already said, naming the other producer
                    row.errors.append(message)
            clean = None

        for key, seen, label in (("barcode", seen_barcodes, "Mã vạch"), ("sku", seen_skus, "Mã SKU")):
            value = values[key]
            if key == "barcode" and value:
                try:
                    value = normalize_barcode(value)
                except BarcodeError:
                    value = ""
            if not value:
                continue
            value = value.upper()
            first = seen.get(value)
            if first is not None:
                row.errors.append(f"{label} {values[key]} trùng với dòng {first.line_no} trong tệp.")
                message = f"{label} {values[key]} trùng với dòng {line_no} trong tệp."
                if message not in first.errors:
                    first.errors.append(message)
            else:
                seen[value] = row
        if product is not None:
            first = seen_products.get(product.id)  # type: ignore[arg-type]
            if first is not None:
                row.errors.append(f"Dòng {first.line_no} cũng cập nhật sản phẩm “{product.name}”.")
            else:
                seen_products[product.id] = row  # type: ignore[index]
            row.product_id = product.id

        if clean is not None and product is not None:
            row.changes = [
                f"{label}: {_show(key, getattr(product, key))} → {_show(key, clean[key])}"
                for key, label in _CHANGE_LABELS.items()
                if clean.get(key) not in ("", None) and clean[key] != getattr(product, key)
            ]
        if product is not None:
            row.status = "update" if row.changes else "unchanged"
    for row in rows:  # a duplicate found later also marks the row it repeats
        if row.errors:
            row.status = "error"
    return PriceListPreview(
        producer_id=producer.id,  # type: ignore[arg-type]
        columns=[c for c in columns if c],
        ignored_columns=ignored,
        rows=rows,
    )


def apply_price_list(
    session: Session,
    producer_id: int,
    data: bytes,
    actor_id: int | None = None,
    instore_prefix: str = DEFAULT_INSTORE_PREFIX,
) -> PriceListPreview:
    """Check the file again inside the caller's transaction and, only if every row is clean, write them all."""
    preview = preview_price_list(session, producer_id, data)
    if not preview.is_clean:
        bad = preview.count("error")
        raise ValidationError(f"Tệp còn {bad} dòng lỗi; chưa ghi gì. Hãy sửa tệp rồi tải lại.", "file")
    for row in preview.rows:
        assert row.data is not None
        if row.status == "new":
            created = create_product(session, row.data, actor_id=actor_id, instore_prefix=instore_prefix)
            row.product_id = created.id
        elif row.status == "update":
            assert row.product_id is not None
            update_product(session, row.product_id, row.data, actor_id=actor_id, instore_prefix=instore_prefix)
    return preview
