"""English names for some of the demo's products, so that an English receipt in the demo has some to show."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session

from pos.catalog.models import Product, ProductStory

ENGLISH_NAMES: dict[str, str] = {
    "Mật ong bạc hà Mèo Vạc chai 500ml": "Meo Vac mint-flower honey, 500 ml bottle",
    "Mật ong bạc hà Mèo Vạc chai 250ml": "Meo Vac mint-flower honey, 250 ml bottle",
    "Mật ong bạc hà hộp quà 2 chai": "Mint-flower honey gift box, 2 bottles",
    "Thịt bò khô Hà Giang gói 250g": "Ha Giang dried beef, 250 g pack",
    "Thịt trâu gác bếp gói 500g": "Smoked buffalo meat, 500 g pack",
    "Rượu táo mèo Hà Giang chai 750ml": "Ha Giang wild apple wine, 750 ml bottle",
    "Long nhãn sấy khô Hưng Yên túi 500g": "Hung Yen dried longan, 500 g bag",
    "Vải thiều sấy khô Lục Ngạn túi 1kg": "Luc Ngan dried lychee, 1 kg bag",
    "Chè Tân Cương đặc biệt hộp 200g": "Tan Cuong special green tea, 200 g box",
    "Chè nõn tôm Tân Cương hộp 200g": "Tan Cuong young-bud green tea, 200 g box",
    "Chè nõn tôm hộp quà sơn mài 500g": "Tan Cuong young-bud green tea in a lacquer gift box, 500 g",
    "Bánh cốm Hàng Than hộp 6 chiếc": "Hang Than green rice cakes, box of 6",
    "Cốm làng Vòng gói lá sen 200g": "Vong village green rice in lotus leaf, 200 g",
    "Khăn lụa tơ tằm vân hoa 50×50cm": "Silk scarf with woven flowers, 50×50 cm",
    "Áo dài lụa tơ tằm may sẵn": "Ready-made silk áo dài",
    "Quạt lụa vẽ tay": "Hand-painted silk fan",
    "Bộ ấm chén men lam vẽ tay (6 chén)": "Hand-painted blue-glaze tea set (6 cups)",
    "Bình hoa men rạn cổ vẽ trúc 40cm": "Crackle-glaze vase with bamboo, 40 cm",
    "Giỏ mây đan tay có nắp 30cm": "Hand-woven rattan basket with lid, 30 cm",
    "Nón bài thơ làng Chuông": "Chuong village poem conical hat",
}


def tell_english_names(session: Session, products: Iterable[Product]) -> int:
    """A story holding only the English name for each demo product listed above; how many were told."""
    told = [
        ProductStory(product_id=p.id, name_en=ENGLISH_NAMES[p.name])  # type: ignore[arg-type]
        for p in products
        if p.name in ENGLISH_NAMES
    ]
    session.add_all(told)
    return len(told)
