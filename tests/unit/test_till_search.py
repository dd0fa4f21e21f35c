"""The till's search by name: the products a cashier means come first, and survive the result limit."""

from __future__ import annotations

from pos.sales.scanning import search_products


def test_names_starting_with_the_words_come_first(session, make_product) -> None:
    for name in ("Ba kích ngâm mật ong hũ 500g", "Cà phê chế biến mật ong", "Mật ong bạc hà chai 1 lít", "Trà mật ong"):
        make_product(name=name)
    honey = make_product(name="Mật ong hoa rừng Tam Đảo")
    names = [p.name for p in search_products(session, "mat ong")]
    assert names == [
        "Mật ong bạc hà chai 1 lít",
        "Mật ong hoa rừng Tam Đảo",
        "Ba kích ngâm mật ong hũ 500g",
        "Cà phê chế biến mật ong",
        "Trà mật ong",
    ]
    assert [p.name for p in search_products(session, "mat ong", limit=2)] == names[:2]  # not the first two by name
    assert search_products(session, honey.sku)[0].id == honey.id  # the code typed comes first of all
    assert {p.name for p in search_products(session, "ong mat")} == set(names)  # every word, in any order
