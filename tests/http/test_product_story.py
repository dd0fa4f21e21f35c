"""A product's story over HTTP: edited on the product form, validated, audited, kept by edits that omit it."""

from __future__ import annotations

from sqlmodel import select

from pos.audit.models import AuditEntry
from pos.catalog.models import ProductStory
from pos.catalog.story import get_story


def _form(product, **story) -> dict[str, str]:
    base = {
        "name": product.name,
        "producer_id": str(product.producer_id),
        "price_vnd": "185.000",
        "unit": "hũ",
        "vat_class": "standard",
        "ocop_group": "thuc_pham",
        "barcode": product.barcode or "",
        "sku": product.sku,
        "is_active": "1",
    }
    return {**base, **story}


STORY = {
    "name_en": "Bac Ha mint honey",
    "description_vi": "Mật ong từ hoa bạc hà cao nguyên đá Đồng Văn.",
    "description_en": "Honey from mint flowers of the Dong Van karst plateau.",
    "origin_commune": "Xã Pải Lủng",
    "origin_district": "Huyện Mèo Vạc",
    "origin_province": "Tỉnh Hà Giang",
    "producer_story": "HTX do chị Mai thành lập năm 2015 cùng 40 hộ nuôi ong người Mông.",
    "trace_url": "https://truyxuat.hagiang.gov.vn/sp/mat-ong-bac-ha",
}


def test_manager_tells_a_product_story_on_the_product_page(auth, client, make_product, uow) -> None:
    honey = make_product(name="Mật ong bạc hà Mèo Vạc", price_vnd=185_000)
    auth.login("manager")
    path = f"/products/{honey.id}/edit"
    page = client.get(path).get_data(as_text=True)
    assert "Câu chuyện sản phẩm" in page and 'name="trace_url"' in page

    bad = auth.post(
        path,
        _form(
            honey,
            **{**STORY, "trace_url": "javascript:alert(1)", "name_en": "x" * 201, "origin_province": "y" * 81},
        ),
    )
    html = bad.get_data(as_text=True)
    assert bad.status_code == 422
    assert "phải bắt đầu bằng http:// hoặc https://" in html
    assert "Tên tiếng Anh dài tối đa 200 ký tự" in html and "Tỉnh / thành phố dài tối đa 80 ký tự" in html
    with uow() as s:
        assert s.get(ProductStory, honey.id) is None  # nothing half-written

    for url in ("ftp://truyxuat.vn/a", "https://", "https://truy xuat.vn", "truyxuat.vn/a"):
        refused = auth.post(path, _form(honey, **{**STORY, "trace_url": url}))
        assert refused.status_code == 422, url

    # Input in decomposed form comes back composed (NFC).
    done = auth.post(path, _form(honey, **{**STORY, "origin_district": "Huye\u0302\u0323n Mèo Vạc"}))
    assert done.status_code == 302
    with uow() as s:
        story = get_story(s, honey.id)
        assert story.name_en == "Bac Ha mint honey" and story.trace_url == STORY["trace_url"]
        assert story.origin == "Xã Pải Lủng, Huyện Mèo Vạc, Tỉnh Hà Giang"
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "product.story")).one()
        assert entry.user_id is not None and "Bac Ha mint honey" in str(entry.after)
    page = client.get(path).get_data(as_text=True)
    assert "Bac Ha mint honey" in page and "40 hộ nuôi ong người Mông" in page

    # An edit that leaves every story field blank removes the story; one without the fields keeps it.
    with uow() as s:
        from pos.catalog.services import ProductInput, update_product

        update_product(s, honey.id, ProductInput.from_mapping(_form(honey)))
    with uow() as s:
        assert get_story(s, honey.id).name_en == "Bac Ha mint honey"
    blank = auth.post(path, _form(honey, **dict.fromkeys(STORY, "")))
    assert blank.status_code == 302
    with uow() as s:
        assert s.get(ProductStory, honey.id) is None


def test_a_new_product_can_carry_its_story(auth, client, make_producer, uow) -> None:
    producer = make_producer()
    auth.login("manager")
    response = auth.post(
        "/products/new",
        {
            "name": "Chè Shan tuyết cổ thụ",
            "producer_id": str(producer.id),
            "price_vnd": "250.000",
            "unit": "hộp",
            "vat_class": "standard",
            "ocop_group": "do_uong",
            "is_active": "1",
            "name_en": "Ancient Shan tuyet tea",
            "trace_url": "http://check.vn/t/1",
        },
        token_from="/products/new",
    )
    assert response.status_code == 302
    with uow() as s:
        (row,) = s.exec(select(ProductStory)).all()
        assert row.name_en == "Ancient Shan tuyet tea" and row.trace_url == "http://check.vn/t/1"
