"""Catalogue pages: permissions, forms with errors, escaping, search, CSV price-list import."""

from __future__ import annotations

import io

import pytest
from sqlmodel import select

from pos.audit.models import AuditEntry
from pos.catalog.models import Producer, Product

PAGES = ["/products", "/products/new", "/producers", "/producers/new", "/products/import"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_login(client, path) -> None:
    response = client.get(path)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("path", PAGES)
def test_cashier_gets_403(client, auth, path) -> None:
    auth.login("cashier")
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_manager_sees_the_pages(client, auth, make_product, path) -> None:
    make_product(name="Bánh cốm Vòng")
    auth.login("manager")
    response = client.get(path)
    assert response.status_code == 200
    assert '<html lang="vi">' in response.get_data(as_text=True)


def test_edit_pages_and_unknown_ids(client, auth, make_product) -> None:
    product = make_product()
    auth.login("manager")
    assert client.get(f"/products/{product.id}/edit").status_code == 200
    assert client.get(f"/producers/{product.producer_id}/edit").status_code == 200
    assert client.get("/products/99999/edit").status_code == 404
    assert client.get("/producers/99999/edit").status_code == 404


def test_create_producer_through_the_form(client, auth, engine) -> None:
    auth.login("manager")
    response = auth.post(
        "/producers/new",
        {
            "name": "HTX Chè Tân Cương",
            "kind": "htx",
            "province": "Thái Nguyên",
            "commission_percent": "15",
            "is_consignment": "1",
            "is_active": "1",
        },
    )
    assert response.status_code == 302
    html = client.get("/producers").get_data(as_text=True)
    assert "HTX Chè Tân Cương" in html and "15%" in html


def test_bad_producer_form_keeps_values(client, auth) -> None:
    auth.login("manager")
    response = auth.post(
        "/producers/new", {"name": "HTX Mới", "kind": "htx", "tax_code": "12", "commission_percent": "x"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Mã số thuế gồm 10 chữ số" in html
    assert "Hoa hồng là phần trăm" in html
    assert 'value="HTX Mới"' in html


def test_create_product_through_the_form(client, auth, engine, make_producer, uow) -> None:
    producer = make_producer()
    auth.login("manager")
    response = auth.post(
        "/products/new",
        {
            "name": "Bánh cốm Vòng",
            "producer_id": producer.id,
            "price_vnd": "125.000",
            "unit": "hộp",
            "vat_class": "standard",
            "ocop_group": "thuc_pham",
            "ocop_stars": "4",
            "barcode": "",
            "ocop_cert_expiry": "31/12/2027",
            "is_food": "1",
            "is_active": "1",
        },
    )
    assert response.status_code == 302
    with uow() as s:
        product = s.exec(select(Product)).one()
    assert product.price_vnd == 125_000
    assert product.ocop_stars == 4
    assert product.barcode.startswith("04") and len(product.barcode) == 13
    html = client.get("/products?q=banh+com").get_data(as_text=True)
    assert "Bánh cốm Vòng" in html and "125.000 ₫" in html and "★★★★" in html


def test_bad_price_gives_a_message_and_keeps_what_was_typed(client, auth, make_producer, uow) -> None:
    producer = make_producer()
    auth.login("manager")
    response = auth.post(
        "/products/new",
        {
            "name": "Trà sen Tây Hồ",
            "producer_id": producer.id,
            "price_vnd": "mười nghìn",
            "unit": "hộp",
            "vat_class": "standard",
            "ocop_group": "do_uong",
            "barcode": "8934563138164",
        },
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Giá bán phải là số tiền" in html
    assert "sai số kiểm tra" in html
    assert 'value="mười nghìn"' in html and 'value="Trà sen Tây Hồ"' in html
    with uow() as s:
        assert s.exec(select(Product)).all() == []


def test_markup_in_a_name_is_shown_escaped(client, auth, make_product) -> None:
    make_product(name='<script>alert("x")</script> Nón lá')
    auth.login("manager")
    html = client.get("/products?q=non+la").get_data(as_text=True)
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Nón lá" in html
    assert '<script>alert("x")' not in html


def test_price_edit_is_audited(client, auth, make_product, uow) -> None:
    product = make_product(price_vnd=100_000, barcode="8934563138165")
    auth.login("manager")
    form = {
        "name": product.name,
        "producer_id": product.producer_id,
        "price_vnd": "110.000",
        "unit": "cái",
        "vat_class": "standard",
        "ocop_group": "thuc_pham",
        "barcode": product.barcode,
        "sku": product.sku,
        "is_active": "1",
    }
    response = auth.post(f"/products/{product.id}/edit", form)
    assert response.status_code == 302
    with uow() as s:
        assert s.get(Product, product.id).price_vnd == 110_000
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "product.price")).one().user_id is not None


def test_filters_and_paging(client, auth, make_producer, make_product) -> None:
    producer = make_producer()
    for n in range(55):
        make_product(name=f"Khăn lụa {n:02d}", producer_id=producer.id, ocop_stars=3 + n % 3)
    auth.login("manager")
    first = client.get(f"/products?producer_id={producer.id}").get_data(as_text=True)
    assert "Trang 1 / 2" in first and "Khăn lụa 00" in first and "Khăn lụa 54" not in first
    second = client.get(f"/products?producer_id={producer.id}&page=2").get_data(as_text=True)
    assert "Khăn lụa 54" in second
    five = client.get("/products?stars=5").get_data(as_text=True)
    assert "Khăn lụa 02" in five and "Khăn lụa 00" not in five
    low = client.get("/products?low=1").get_data(as_text=True)
    assert "Sắp hết" in low or "Hết hàng" in low
    assert client.get("/products?page=abc&stars=9&group=nope").status_code == 200


# --- CSV price list ------------------------------------------------------------------------------------------


def upload(auth, producer_id, data: bytes, name: str = "bang-gia.csv"):
    return auth.post(
        "/products/import",
        {"producer_id": str(producer_id), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_csv_with_errors_shows_every_reason_and_writes_nothing(client, auth, make_producer, uow) -> None:
    producer = make_producer()
    auth.login("manager")
    data = ("name,price_vnd,barcode,ocop_stars\nBánh cốm,mười nghìn,8934563138164,9\n<b>Trà</b>,20000,,\n").encode()
    response = upload(auth, producer.id, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Giá bán phải là số tiền" in html and "sai số kiểm tra" in html and "Hạng sao OCOP" in html
    assert "&lt;b&gt;Trà&lt;/b&gt;" in html
    assert "Chưa ghi gì vào danh mục" in html
    assert "Xác nhận nhập" not in html
    with uow() as s:
        assert s.exec(select(Product)).all() == []


def test_clean_csv_is_written_after_confirmation(client, auth, make_producer, uow, app) -> None:
    producer = make_producer()
    auth.login("manager")
    data = "\ufeffname;price_vnd;unit\nBánh cốm;45.000;gói\nTrà sen;120000;hộp\n".encode()
    response = upload(auth, producer.id, data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Xác nhận nhập 2 sản phẩm" in html
    with uow() as s:
        assert s.exec(select(Product)).all() == []  # the preview writes nothing
    token = html.split('name="token" value="')[1].split('"')[0]
    response = auth.post(
        "/products/import/confirm", {"token": token, "producer_id": producer.id}, token_from="/products/import"
    )
    assert response.status_code == 302
    with uow() as s:
        names = {p.name: p.price_vnd for p in s.exec(select(Product)).all()}
    assert names == {"Bánh cốm": 45_000, "Trà sen": 120_000}
    # The uploaded file is gone; confirming twice does nothing.
    again = auth.post(
        "/products/import/confirm", {"token": token, "producer_id": producer.id}, token_from="/products/import"
    )
    assert again.status_code == 302
    with uow() as s:
        assert len(s.exec(select(Product)).all()) == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "nhị phân"),
        ("name,price_vnd\nBánh,1\n".encode("latin-1"), "UTF-8"),
        (b"", "Tệp trống"),
    ],
)
def test_malformed_csv_gives_a_clear_message(client, auth, make_producer, data, message) -> None:
    producer = make_producer()
    auth.login("manager")
    response = upload(auth, producer.id, data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)


def test_upload_without_producer_or_file(client, auth, make_producer) -> None:
    auth.login("manager")
    response = upload(auth, "", b"name,price_vnd\nA,1\n")
    assert response.status_code == 422 and "Chưa chọn nhà sản xuất" in response.get_data(as_text=True)
    producer = make_producer()
    response = auth.post("/products/import", {"producer_id": producer.id})
    assert response.status_code == 422 and "Chưa chọn tệp CSV" in response.get_data(as_text=True)


def test_confirm_with_a_forged_token_is_refused(client, auth, make_producer) -> None:
    producer = make_producer()
    auth.login("manager")
    response = auth.post(
        "/products/import/confirm",
        {"token": "../../secret_key", "producer_id": producer.id},
        token_from="/products/import",
    )
    assert response.status_code == 302
    assert "không còn trên máy" in client.get("/products/import").get_data(as_text=True)


def test_oversized_upload_gets_413_with_a_message(client, auth, make_producer, app) -> None:
    producer = make_producer()
    auth.login("manager")
    limit = app.config["MAX_CONTENT_LENGTH"]
    assert limit and limit <= 2_000_000
    # The multipart body is built by hand: werkzeug's test builder would spool it to a file it never closes.
    boundary = "----bang-gia"
    parts = [
        ("csrf_token", auth.csrf("/products/import").encode()),
        ("producer_id", str(producer.id).encode()),
    ]
    body = b"".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value + b"\r\n"
        for name, value in parts
    )
    body += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="lon.csv"\r\n'
        "Content-Type: text/csv\r\n\r\n".encode()
        + b"name,price_vnd\n"
        + b"x,1\n" * (limit // 4 + 10)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    response = client.post("/products/import", data=body, content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "Tệp tải lên quá lớn" in response.get_data(as_text=True)


def test_sample_csv(client, auth) -> None:
    auth.login("manager")
    response = client.get("/products/import/sample.csv")
    assert response.status_code == 200
    assert response.data.startswith("\ufeff".encode())
    assert "Chè Tân Cương" in response.get_data(as_text=True)


def test_post_without_csrf_is_refused(client, auth, make_producer, uow) -> None:
    producer = make_producer()
    auth.login("manager")
    response = client.post("/producers/new", data={"name": "HTX Không token", "kind": "htx"})
    assert response.status_code == 400
    with uow() as s:
        assert [p.id for p in s.exec(select(Producer)).all()] == [producer.id]
