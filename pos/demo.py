"""A demo showroom: OCOP producers from the northern provinces, their products, and stock on the shelves.

seed() fills an empty database once (it does nothing when any product exists), deterministically from
random.Random(2026), with dates counted back from today so expiry warnings always have something to show.

Demo data is NOT written to the sync outbox: these producers, products and deliveries are invented, and a
showroom that tries the demo must never push them to the central server as if they were real. Only what
staff record afterwards (sales, real intakes, adjustments) travels.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session
from werkzeug.security import generate_password_hash

from pos.auth.models import User
from pos.auth.services import create_user
from pos.barcodes import DEFAULT_INSTORE_PREFIX, gtin_check_digit, instore_ean13
from pos.catalog.models import Producer, Product, VatRate
from pos.counters import next_values
from pos.demo_history import Staff, seed_history
from pos.demo_stories import tell_english_names
from pos.inventory.ledger import record_movements
from pos.inventory.lots import Want, allocate, lots_for_intake, lots_of
from pos.inventory.models import Intake, IntakeLine, StockMovement
from pos.settlement.models import Settlement
from pos.text import fold, nfc

SEED = 2026
# The demo's logins (username, full name, role, password): printed by `pos demo`, used by the screenshots' bench.
DEMO_USERS = [
    ("thungan", "Nguyễn Thị Thu Ngân", "cashier", "thungan123"),
    ("thungan2", "Phạm Thị Hoa", "cashier", "thungan123"),
    ("quanly", "Trần Văn Quản Lý", "manager", "quanly123"),
    ("admin", "Lê Quản Trị", "admin", "admin123"),
]
# Those passwords hashed once, by generate_password_hash (werkzeug's scrypt, as create_user does): three scrypt
# runs are a tenth of the demo seed. The passwords are printed for all to read; a password missing here is
# hashed at seeding. tests/unit/test_demo.py checks each hash against its password.
DEMO_PASSWORD_HASHES = {
    "thungan123": "scrypt:32768:8:1$uveoATHYYbiqhUpf$8ba43aa2b596c804b192d3d45374415791bfb41ed5a6cef78203baeb519a2022"
    "ddf5fb5e1f89cc1701db1a3fa77b032e8c531b6c9d363ad2c40d07af45fbdafd",
    "quanly123": "scrypt:32768:8:1$rrzUCdKgx7JdWEdA$e34f46ba8a52cb51a549c72b9ad1c29014088668ffeae2752b2680f6ca4271fd"
    "7b6447ff50b9a4bca1ccf07321601cc5897fb00324d24edaee14a1a76da9dc4f",
    "admin123": "scrypt:32768:8:1$D77YsK1UXG4uFLRV$a85887b668cf9b8e2ed4d423e2aba76bbaa74d2406188d720459e6b35438f1ef"
    "daa05f1ec8cef60cabf704e25c0a82e79658c4e6596c4ae5573dbed999135050",
}
# The same counters the catalogue takes codes from, so products created later continue the sequences.
INSTORE_COUNTER = "instore_barcode"
SKU_COUNTER = "product_sku"

FOOD_GROUPS = frozenset({"thuc_pham", "do_uong", "thao_duoc"})
# Fresh goods (giò chả, cốm) keep days, not months: they are always received recently and expire soon.
PERISHABLE_WORDS = ("Giò", "Chả", "Nem chua", "Cốm làng Vòng", "Bánh cốm", "Bánh phu thê", "Xôi cốm")


@dataclass(frozen=True)
class ProducerSpec:
    """A producer of the demo and its products, one 'name | unit | price [| group]' per line."""

    name: str
    kind: str  # htx, hkd, dn
    province: str
    district: str
    commune: str
    group: str
    products: str
    gs1: bool = False  # a GS1 Vietnam member: its goods carry 893… barcodes


PRODUCERS: list[ProducerSpec] = [
    ProducerSpec(
        "HTX Gốm sứ Bát Tràng",
        "htx",
        "Hà Nội",
        "Gia Lâm",
        "xã Bát Tràng",
        "luu_niem",
        gs1=True,
        products="""
        Bình hút lộc men lam vẽ sen 30cm | cái | 850000
        Bình hoa men rạn cổ vẽ trúc 40cm | cái | 1250000
        Lọ hoa men hỏa biến dáng tỏi 25cm | cái | 450000
        Bộ ấm chén men lam vẽ tay (6 chén) | bộ | 650000
        Bộ ấm trà men rạn dáng quả hồng | bộ | 580000
        Bộ bát đĩa men lam 22 món | bộ | 2500000
        Bát ăn cơm men lam hoa cúc 11cm | cái | 35000
        Đĩa sứ vẽ tay phong cảnh làng quê 26cm | cái | 320000
        Cốc sứ có quai men hỏa biến | cái | 95000
        Đèn xông tinh dầu gốm men rạn | cái | 180000
        Lục bình men lam vẽ rồng 80cm | cái | 2500000
        Chum gốm men nâu đựng gạo 10kg | cái | 420000
        Tượng gốm Phật Di Lặc men vàng | cái | 650000
        Bộ 6 chén uống rượu men lam | bộ | 150000
        Gạt tàn gốm men rạn vẽ tay | cái | 85000
    """,
    ),
    ProducerSpec(
        "HTX Mây tre đan Phú Vinh",
        "htx",
        "Hà Nội",
        "Chương Mỹ",
        "xã Phú Nghĩa",
        "luu_niem",
        products="""
        Giỏ mây đan tay có nắp 30cm | cái | 280000
        Khay mây hình chữ nhật hai tai | cái | 180000
        Làn mây đi chợ quai tròn | cái | 250000
        Hộp mây đựng giấy ăn | cái | 120000
        Bộ 3 giỏ mây đựng đồ | bộ | 450000
        Đèn trần mây tre dáng chuông | cái | 550000
        Khay tre đan đựng bánh kẹo | cái | 95000
        Lót cốc mây tre (bộ 6 chiếc) | bộ | 60000
        Hộp trà mây đan nắp gỗ | cái | 150000
        Túi mây đan quai da | cái | 380000
        Bình hoa tre đan lót thủy tinh | cái | 160000
        Mẹt tre đan trang trí 50cm | cái | 85000
        Ống đựng đũa tre đan | cái | 45000
    """,
    ),
    ProducerSpec(
        "Công ty TNHH Lụa tơ tằm Vạn Phúc",
        "dn",
        "Hà Nội",
        "Hà Đông",
        "phường Vạn Phúc",
        "vai_may_mac",
        gs1=True,
        products="""
        Khăn lụa tơ tằm vân hoa 50×50cm | cái | 350000
        Khăn lụa tơ tằm dài in hoa sen | cái | 650000
        Khăn quàng lụa tơ tằm trơn 180cm | cái | 480000
        Vải lụa tơ tằm Vạn Phúc vân quế | mét | 280000
        Vải lụa tơ tằm Vạn Phúc trơn | mét | 250000
        Áo dài lụa tơ tằm may sẵn | bộ | 2200000
        Cà vạt lụa tơ tằm dệt hoa | cái | 320000
        Túi lụa thêu hoa đựng quà | cái | 120000
        Ví cầm tay lụa thêu | cái | 280000
        Vỏ gối tựa lụa tơ tằm 45cm | cái | 350000
        Quạt lụa vẽ tay | cái | 150000
        Khăn lụa vuông họa tiết trống đồng | cái | 420000
        Áo sơ mi lụa tơ tằm nam | cái | 1150000
    """,
    ),
    ProducerSpec(
        "Cơ sở bánh cốm Nguyên Ninh",
        "hkd",
        "Hà Nội",
        "Hoàn Kiếm",
        "phố Hàng Than",
        "thuc_pham",
        gs1=True,
        products="""
        Bánh cốm Hàng Than hộp 6 chiếc | hộp | 90000
        Bánh cốm Hàng Than hộp 10 chiếc | hộp | 150000
        Bánh cốm nhân đậu xanh dừa túi 5 chiếc | túi | 65000
        Bánh phu thê hộp 10 chiếc | hộp | 80000
        Bánh cốm hộp quà Tết 20 chiếc | hộp | 320000
        Cốm làng Vòng gói lá sen 200g | gói | 60000
        Chè cốm hộp 300g | hộp | 55000
        Bánh đậu xanh nhân cốm hộp 250g | hộp | 45000
        Xôi cốm sấy khô 200g | gói | 50000
        Kẹo cốm túi 300g | túi | 40000
    """,
    ),
    ProducerSpec(
        "HTX Giò chả Ước Lễ",
        "htx",
        "Hà Nội",
        "Thanh Oai",
        "xã Tân Ước",
        "thuc_pham",
        products="""
        Giò lụa Ước Lễ 500g | cái | 125000
        Giò lụa Ước Lễ 1kg | cái | 240000
        Chả quế Ước Lễ 500g | cái | 130000
        Giò bò Ước Lễ 500g | cái | 180000
        Giò xào Ước Lễ 500g | cái | 120000
        Nem chua Ước Lễ túi 20 chiếc | túi | 60000
        Chả mỡ Ước Lễ 500g | cái | 110000
        Giò tai Ước Lễ 500g | cái | 115000
        Ruốc thịt lợn hộp 200g | hộp | 95000
        Giò lụa hộp quà 2 cây 500g | hộp | 260000
    """,
    ),
    ProducerSpec(
        "HTX Miến dong Cự Đà",
        "htx",
        "Hà Nội",
        "Thanh Oai",
        "xã Cự Khê",
        "thuc_pham",
        products="""
        Miến dong Cự Đà gói 500g | gói | 45000
        Miến dong Cự Đà gói 1kg | gói | 85000
        Miến dong sợi nhỏ hộp 400g | hộp | 50000
        Mỳ gạo Cự Đà gói 500g | gói | 35000
        Miến dong hộp quà 1,2kg | hộp | 120000
        Tương Cự Đà chai 500ml | chai | 40000
        Tương Cự Đà chai 1 lít | chai | 70000
        Miến dong trộn khoai lang túi 500g | túi | 45000
        Bún khô Cự Đà gói 500g | gói | 35000
    """,
    ),
    ProducerSpec(
        "HTX Chè Tân Cương Hoàng Bình",
        "htx",
        "Thái Nguyên",
        "TP. Thái Nguyên",
        "xã Tân Cương",
        "do_uong",
        products="""
        Chè Tân Cương đặc biệt túi 100g | túi | 60000
        Chè Tân Cương đặc biệt hộp 200g | hộp | 130000
        Chè nõn tôm Tân Cương hộp 200g | hộp | 250000
        Chè móc câu Tân Cương túi 500g | túi | 200000
        Chè nõn tôm hộp quà sơn mài 500g | hộp | 850000
        Chè búp Tân Cương loại 1 túi 1kg | túi | 350000
        Trà xanh túi lọc Tân Cương hộp 25 gói | hộp | 45000
        Chè đinh Tân Cương hộp 100g | hộp | 450000
        Hồng trà Tân Cương hộp 100g | hộp | 120000
        Chè Tân Cương hộp thiếc 250g | hộp | 180000
    """,
    ),
    ProducerSpec(
        "HTX Chè La Bằng",
        "htx",
        "Thái Nguyên",
        "Đại Từ",
        "xã La Bằng",
        "do_uong",
        gs1=True,
        products="""
        Chè La Bằng búp non túi 200g | túi | 80000
        Chè La Bằng đặc sản hộp 500g | hộp | 220000
        Chè vàng La Bằng hộp 100g | hộp | 150000
        Trà ô long La Bằng hộp 200g | hộp | 180000
        Chè La Bằng hộp quà 2 hũ | hộp | 360000
        Bột trà xanh La Bằng hũ 100g | hũ | 120000
        Trà xanh túi lọc La Bằng hộp 50 gói | hộp | 75000
        Chè La Bằng túi 1kg | túi | 300000
    """,
    ),
    ProducerSpec(
        "HTX Chè Shan tuyết Phìn Hồ",
        "htx",
        "Hà Giang",
        "Hoàng Su Phì",
        "xã Thông Nguyên",
        "do_uong",
        products="""
        Trà shan tuyết cổ thụ Phìn Hồ hộp 100g | hộp | 180000
        Trà shan tuyết cổ thụ hộp 250g | hộp | 420000
        Hồng trà shan tuyết hộp 100g | hộp | 220000
        Bạch trà shan tuyết hộp 50g | hộp | 450000
        Trà vàng shan tuyết hộp 100g | hộp | 250000
        Trà shan tuyết bánh ép 357g | bánh | 650000
        Trà shan tuyết túi 500g | túi | 600000
        Hộp quà trà shan tuyết Hà Giang 3 loại | hộp | 950000
    """,
    ),
    ProducerSpec(
        "HTX Ong mật Mèo Vạc",
        "htx",
        "Hà Giang",
        "Mèo Vạc",
        "thị trấn Mèo Vạc",
        "thuc_pham",
        products="""
        Mật ong bạc hà Mèo Vạc chai 500ml | chai | 350000
        Mật ong bạc hà Mèo Vạc chai 250ml | chai | 190000
        Mật ong bạc hà chai 1 lít | chai | 650000
        Mật ong bạc hà hộp quà 2 chai | hộp | 720000
        Sáp ong bạc hà hộp 200g | hộp | 150000
        Mật ong bạc hà gói nhỏ hộp 20 gói | hộp | 120000
        Phấn hoa bạc hà lọ 200g | lọ | 160000
        Mật ong bạc hà hũ 1kg | hũ | 580000
    """,
    ),
    ProducerSpec(
        "Công ty CP Đặc sản Cao nguyên đá",
        "dn",
        "Hà Giang",
        "Quản Bạ",
        "thị trấn Tam Sơn",
        "thuc_pham",
        gs1=True,
        products="""
        Thịt bò khô Hà Giang gói 250g | gói | 250000
        Thịt trâu gác bếp gói 500g | gói | 550000
        Lạp xưởng gác bếp gói 500g | gói | 180000
        Bánh tam giác mạch hộp 300g | hộp | 60000
        Rượu ngô men lá Quản Bạ chai 500ml | chai | 120000 | do_uong
        Rượu ngô men lá bình 2 lít | bình | 350000 | do_uong
        Rượu táo mèo Hà Giang chai 750ml | chai | 180000 | do_uong
        Táo mèo sấy dẻo túi 300g | túi | 65000
        Rượu tam giác mạch chai 500ml | chai | 150000 | do_uong
        Măng khô Hà Giang gói 500g | gói | 140000
    """,
    ),
    ProducerSpec(
        "HTX Long nhãn Khoái Châu",
        "htx",
        "Hưng Yên",
        "Khoái Châu",
        "xã Bình Minh",
        "thuc_pham",
        products="""
        Long nhãn sấy khô Hưng Yên túi 500g | túi | 220000
        Long nhãn sấy hộp 250g | hộp | 130000
        Long nhãn loại đặc biệt hộp quà 1kg | hộp | 480000
        Mật ong hoa nhãn Hưng Yên chai 500ml | chai | 160000
        Nhãn lồng sấy nguyên quả túi 500g | túi | 120000
        Chè long nhãn hạt sen hộp 300g | hộp | 75000
        Trà long nhãn táo đỏ kỷ tử hộp 20 gói | hộp | 95000 | do_uong
        Rượu nhãn Hưng Yên chai 500ml | chai | 140000 | do_uong
    """,
    ),
    ProducerSpec(
        "Cơ sở tương Bần Dũng Ngân",
        "hkd",
        "Hưng Yên",
        "Mỹ Hào",
        "phường Bần Yên Nhân",
        "thuc_pham",
        products="""
        Tương Bần chai 500ml | chai | 35000
        Tương Bần chai 1 lít | chai | 60000
        Tương Bần hũ sành 2 lít | hũ | 150000
        Tương Bần nếp cái hoa vàng chai 500ml | chai | 45000
        Tương ớt Bần chai 250ml | chai | 35000
        Hộp quà tương Bần 3 chai | hộp | 130000
        Tương Bần can 5 lít | can | 250000
    """,
    ),
    ProducerSpec(
        "HTX Vải thiều Lục Ngạn",
        "htx",
        "Bắc Giang",
        "Lục Ngạn",
        "xã Phượng Sơn",
        "thuc_pham",
        products="""
        Vải thiều sấy khô Lục Ngạn túi 1kg | túi | 180000
        Vải thiều sấy khô hộp quà 500g | hộp | 120000
        Cùi vải sấy dẻo túi 200g | túi | 85000
        Mật ong hoa vải Lục Ngạn chai 500ml | chai | 150000
        Rượu vải thiều Lục Ngạn chai 500ml | chai | 130000 | do_uong
        Nước cốt vải thiều chai 330ml | chai | 45000 | do_uong
        Mứt vải thiều hộp 300g | hộp | 70000
    """,
    ),
    ProducerSpec(
        "Công ty TNHH Rượu Làng Vân",
        "dn",
        "Bắc Giang",
        "Việt Yên",
        "xã Vân Hà",
        "do_uong",
        gs1=True,
        products="""
        Rượu Làng Vân 29 độ chai 500ml | chai | 120000
        Rượu Làng Vân 39 độ chai 500ml | chai | 140000
        Rượu Làng Vân 45 độ chai 750ml | chai | 220000
        Rượu Làng Vân bình sứ Bát Tràng 1 lít | bình | 450000
        Rượu Làng Vân hộp quà 2 chai | hộp | 380000
        Rượu nếp cái hoa vàng Làng Vân chai 300ml | chai | 95000
        Rượu mơ Làng Vân chai 500ml | chai | 150000
    """,
    ),
    ProducerSpec(
        "HTX Bánh đa Kế",
        "htx",
        "Bắc Giang",
        "TP. Bắc Giang",
        "phường Dĩnh Kế",
        "thuc_pham",
        products="""
        Bánh đa Kế vừng đen túi 10 chiếc | túi | 35000
        Bánh đa Kế túi 20 chiếc | túi | 65000
        Bánh đa nem Kế túi 500g | túi | 35000
        Bánh đa đỏ nấu canh cua gói 500g | gói | 35000
        Bánh đa Kế lạc túi 10 chiếc | túi | 40000
        Bánh đa Kế hộp quà 30 chiếc | hộp | 120000
    """,
    ),
    ProducerSpec(
        "HTX Nông sản Bắc Hà",
        "htx",
        "Lào Cai",
        "Bắc Hà",
        "xã Bản Phố",
        "thuc_pham",
        products="""
        Rượu ngô Bản Phố chai 500ml | chai | 110000 | do_uong
        Rượu ngô Bản Phố can 2 lít | can | 320000 | do_uong
        Mận Bắc Hà sấy dẻo túi 300g | túi | 75000
        Tương ớt Mường Khương chai 250ml | chai | 40000
        Gạo Séng Cù Mường Khương túi 5kg | túi | 150000
        Thịt lợn cắp nách gác bếp gói 500g | gói | 380000
        Bánh tam giác mạch Bắc Hà gói 400g | gói | 55000
    """,
    ),
    ProducerSpec(
        "HTX Thảo dược Dao đỏ Sa Pa",
        "htx",
        "Lào Cai",
        "Sa Pa",
        "xã Tả Phìn",
        "thao_duoc",
        products="""
        Lá tắm người Dao đỏ gói 500g | gói | 75000
        Thuốc tắm Dao đỏ cô đặc chai 250ml | chai | 95000
        Trà atiso Sa Pa túi lọc hộp 20 gói | hộp | 85000
        Cao atiso Sa Pa hũ 200g | hũ | 180000
        Hoa atiso sấy khô túi 200g | túi | 120000
        Tinh dầu sả chanh Sa Pa chai 50ml | chai | 95000
        Dầu xoa bóp thảo dược Dao đỏ chai 30ml | chai | 65000
        Thảo dược ngâm chân hộp 10 gói | hộp | 90000
        Trà giảo cổ lam Sa Pa hộp 200g | hộp | 110000
    """,
    ),
    ProducerSpec(
        "HTX Cà phê Chiềng Ban",
        "htx",
        "Sơn La",
        "Mai Sơn",
        "xã Chiềng Ban",
        "do_uong",
        products="""
        Cà phê Arabica Sơn La rang xay túi 250g | túi | 95000
        Cà phê Arabica Sơn La rang xay túi 500g | túi | 180000
        Cà phê Arabica hạt rang túi 500g | túi | 190000
        Cà phê phin giấy Arabica hộp 10 gói | hộp | 120000
        Cà phê Arabica chế biến mật ong hộp quà 500g | hộp | 260000
        Cà phê phối trộn Robusta – Arabica túi 500g | túi | 140000
        Mận hậu Sơn La sấy dẻo túi 300g | túi | 70000 | thuc_pham
    """,
    ),
    ProducerSpec(
        "Công ty CP Chè Mộc Châu",
        "dn",
        "Sơn La",
        "Mộc Châu",
        "thị trấn Nông trường Mộc Châu",
        "do_uong",
        gs1=True,
        products="""
        Trà ô long Mộc Châu hộp 200g | hộp | 160000
        Trà ô long Kim Tuyên hộp 500g | hộp | 380000
        Trà xanh Mộc Châu túi 500g | túi | 120000
        Trà shan tuyết Tà Xùa hộp 100g | hộp | 250000
        Bánh sữa Mộc Châu gói 250g | gói | 45000 | thuc_pham
        Kẹo sữa Mộc Châu gói 250g | gói | 40000 | thuc_pham
        Mứt mận Mộc Châu hộp 300g | hộp | 75000 | thuc_pham
    """,
    ),
    ProducerSpec(
        "HTX Dệt thổ cẩm Bản Lác",
        "htx",
        "Hòa Bình",
        "Mai Châu",
        "xã Chiềng Châu",
        "vai_may_mac",
        products="""
        Khăn thổ cẩm Mai Châu dệt tay | cái | 150000
        Túi đeo chéo thổ cẩm | cái | 220000
        Ví thổ cẩm cầm tay | cái | 90000
        Khăn trải bàn thổ cẩm 1,5m | cái | 350000
        Vỏ gối thổ cẩm 45cm | cái | 120000
        Váy thổ cẩm dân tộc Thái | cái | 650000
        Áo khoác thổ cẩm phối vải | cái | 850000
        Thảm thổ cẩm treo tường | cái | 480000
        Ba lô thổ cẩm | cái | 380000
        Khăn choàng thổ cẩm sợi bông | cái | 280000
    """,
    ),
    ProducerSpec(
        "HTX Nông sản Cao Phong",
        "htx",
        "Hòa Bình",
        "Cao Phong",
        "thị trấn Cao Phong",
        "thuc_pham",
        products="""
        Mật ong rừng Hòa Bình chai 500ml | chai | 280000
        Măng khô Hòa Bình gói 500g | gói | 150000
        Rượu cần Mường Hòa Bình bình 2 lít | bình | 250000 | do_uong
        Gạo nếp cẩm Hòa Bình túi 2kg | túi | 90000
        Cam Cao Phong sấy dẻo túi 200g | túi | 70000
        Tinh dầu vỏ cam Cao Phong chai 10ml | chai | 60000 | thao_duoc
        Lạp xưởng Mường gói 500g | gói | 190000
    """,
    ),
    ProducerSpec(
        "HTX Gạo Tám Hải Hậu",
        "htx",
        "Nam Định",
        "Hải Hậu",
        "xã Hải Toàn",
        "thuc_pham",
        products="""
        Gạo tám xoan Hải Hậu túi 2kg | túi | 70000
        Gạo tám xoan Hải Hậu túi 5kg | túi | 165000
        Gạo tám xoan Hải Hậu túi 10kg | túi | 320000
        Gạo tám xoan Hải Hậu bán theo cân | kg | 36000
        Gạo nếp cái hoa vàng túi 2kg | túi | 80000
        Gạo lứt đỏ Hải Hậu túi 2kg | túi | 75000
        Bánh nhãn Hải Hậu gói 200g | gói | 35000
        Kẹo Sìu Châu Nam Định hộp 300g | hộp | 55000
        Gạo tám hộp quà Tết 3kg | hộp | 150000
    """,
    ),
    ProducerSpec(
        "HTX Nước mắm Sa Châu",
        "htx",
        "Nam Định",
        "Giao Thủy",
        "xã Giao Châu",
        "thuc_pham",
        products="""
        Nước mắm Sa Châu 35 độ đạm chai 500ml | chai | 85000
        Nước mắm Sa Châu 40 độ đạm chai 500ml | chai | 110000
        Nước mắm nhỉ Sa Châu 45 độ đạm chai 250ml | chai | 120000
        Nước mắm Sa Châu can 2 lít | can | 250000
        Nước mắm cá cơm hộp quà 2 chai | hộp | 230000
        Mắm tép Giao Thủy hũ 300g | hũ | 60000
        Mắm ruốc tôm hũ 200g | hũ | 55000
        Tôm khô Giao Thủy túi 200g | túi | 280000
        Nước mắm Sa Châu chai thủy tinh 1 lít | chai | 190000
    """,
    ),
    ProducerSpec(
        "HTX Cói Kim Sơn",
        "htx",
        "Ninh Bình",
        "Kim Sơn",
        "xã Kim Chính",
        "luu_niem",
        products="""
        Thảm cói Kim Sơn 1,2×1,8m | cái | 350000
        Túi cói quai tre | cái | 180000
        Bộ 3 hộp cói đựng đồ có nắp | bộ | 280000
        Giỏ cói đựng đồ giặt | cái | 220000
        Mũ cói rộng vành | cái | 120000
        Lót nồi cói đan | cái | 40000
        Khay cói đan hai tầng | cái | 160000
        Dép cói đi trong nhà | đôi | 65000
    """,
    ),
    ProducerSpec(
        "HTX Thêu ren Văn Lâm",
        "htx",
        "Ninh Bình",
        "Hoa Lư",
        "xã Ninh Hải",
        "vai_may_mac",
        products="""
        Tranh thêu tay phong cảnh Tràng An 40×60cm | bức | 1800000 | luu_niem
        Tranh thêu chữ Phúc khung gỗ | bức | 950000 | luu_niem
        Khăn trải bàn thêu ren 1,6m | cái | 650000
        Bộ khăn ăn thêu tay 6 chiếc | bộ | 280000
        Vỏ gối thêu hoa sen | cái | 180000
        Khăn tay thêu hoa | cái | 45000
        Túi thêu tay họa tiết chim Lạc | cái | 250000
        Áo dài trẻ em thêu tay | bộ | 550000
    """,
    ),
    ProducerSpec(
        "Hộ kinh doanh Cơm cháy Hoa Lư",
        "hkd",
        "Ninh Bình",
        "Hoa Lư",
        "xã Trường Yên",
        "thuc_pham",
        products="""
        Cơm cháy chà bông túi 200g | túi | 45000
        Cơm cháy mắm hành hộp 300g | hộp | 60000
        Cơm cháy dê núi Ninh Bình hộp 500g | hộp | 95000
        Rượu Kim Sơn chai 500ml | chai | 90000 | do_uong
        Rượu Kim Sơn bình gốm 2 lít | bình | 320000 | do_uong
        Cơm cháy hộp quà 1kg | hộp | 160000
    """,
    ),
    ProducerSpec(
        "HTX Khảm trai Chuyên Mỹ",
        "htx",
        "Hà Nội",
        "Phú Xuyên",
        "xã Chuyên Mỹ",
        "luu_niem",
        products="""
        Tranh khảm trai Văn Miếu 60×90cm | bức | 2500000
        Hộp trang sức khảm trai | cái | 450000
        Khay trà gỗ khảm trai | cái | 650000
        Hộp đựng danh thiếp khảm trai | cái | 180000
        Đĩa gỗ khảm trai treo tường 30cm | cái | 550000
        Bút gỗ khảm trai hộp quà | hộp | 150000
        Tranh khảm trai chữ Tâm 40×60cm | bức | 1200000
        Hộp đựng chè khảm trai | cái | 320000
        Gương soi khảm trai để bàn | cái | 380000
    """,
    ),
    ProducerSpec(
        "Công ty TNHH Sơn mài Hạ Thái",
        "dn",
        "Hà Nội",
        "Thường Tín",
        "xã Duyên Thái",
        "luu_niem",
        gs1=True,
        products="""
        Tranh sơn mài phố cổ Hà Nội 40×60cm | bức | 1500000
        Bình sơn mài vẽ hoa sen 30cm | cái | 850000
        Hộp sơn mài vuông khảm trứng | cái | 320000
        Khay sơn mài chữ nhật hai tai | cái | 380000
        Bộ 6 lót cốc sơn mài | bộ | 180000
        Bát sơn mài vẽ tay 15cm | cái | 250000
        Đĩa sơn mài treo tường 40cm | cái | 650000
        Hộp đựng trang sức sơn mài 3 ngăn | cái | 480000
        Lọ hoa sơn mài vàng son | cái | 550000
    """,
    ),
    ProducerSpec(
        "HTX Nón lá làng Chuông",
        "htx",
        "Hà Nội",
        "Thanh Oai",
        "xã Phương Trung",
        "luu_niem",
        products="""
        Nón lá làng Chuông 16 vành | cái | 120000
        Nón bài thơ làng Chuông | cái | 150000
        Nón lá vẽ tay phong cảnh | cái | 180000
        Bộ 5 nón lá mini trang trí | bộ | 75000
        Nón lá quai lụa thêu | cái | 220000
        Nón lá trẻ em | cái | 60000
    """,
    ),
    ProducerSpec(
        "Hộ kinh doanh Quạt giấy Chàng Sơn",
        "hkd",
        "Hà Nội",
        "Thạch Thất",
        "xã Chàng Sơn",
        "luu_niem",
        products="""
        Quạt giấy Chàng Sơn vẽ tay | cái | 45000
        Quạt lụa Chàng Sơn nan tre | cái | 85000
        Quạt treo tường trang trí 1m | cái | 350000
        Quạt nan tre khắc chữ | cái | 65000
        Đèn lồng giấy dó Chàng Sơn | cái | 120000
        Bộ 10 quạt giấy quà tặng | bộ | 380000
    """,
    ),
    ProducerSpec(
        "HTX Chè lam Thạch Xá",
        "htx",
        "Hà Nội",
        "Thạch Thất",
        "xã Thạch Xá",
        "thuc_pham",
        products="""
        Chè lam Thạch Xá gói 250g | gói | 40000
        Chè lam Thạch Xá hộp 500g | hộp | 75000
        Chè lam gừng nếp cái hoa vàng hộp 400g | hộp | 70000
        Bánh chè lam lạc vừng gói 300g | gói | 45000
        Kẹo lạc Thạch Xá gói 300g | gói | 35000
        Chè lam vị gấc hộp 300g | hộp | 55000
        Chè lam hộp quà Tết 1kg | hộp | 160000
    """,
    ),
    ProducerSpec(
        "HTX Dược liệu Dao Ba Vì",
        "htx",
        "Hà Nội",
        "Ba Vì",
        "xã Ba Vì",
        "thao_duoc",
        products="""
        Cao ích mẫu Ba Vì hũ 200g | hũ | 120000
        Thuốc tắm Dao Ba Vì gói 500g | gói | 60000
        Trà giảo cổ lam Ba Vì túi 500g | túi | 120000
        Trà dây Ba Vì túi 300g | túi | 85000
        Xạ đen Ba Vì túi 500g | túi | 110000
        Cà gai leo Ba Vì túi 500g | túi | 95000
        Dầu gội thảo dược người Dao chai 300ml | chai | 95000
        Tinh dầu tràm chai 50ml | chai | 60000
    """,
    ),
    ProducerSpec(
        "HTX Nấm linh chi Chương Mỹ",
        "htx",
        "Hà Nội",
        "Chương Mỹ",
        "xã Thủy Xuân Tiên",
        "thao_duoc",
        products="""
        Nấm linh chi đỏ thái lát túi 500g | túi | 450000
        Nấm linh chi nguyên tai hộp 500g | hộp | 550000
        Trà linh chi túi lọc hộp 20 gói | hộp | 120000
        Cao linh chi hũ 100g | hũ | 380000
        Nấm hương rừng khô túi 300g | túi | 180000 | thuc_pham
        Mộc nhĩ khô túi 500g | túi | 90000 | thuc_pham
        Đông trùng hạ thảo sấy khô hộp 10g | hộp | 650000
        Rượu đông trùng hạ thảo chai 500ml | chai | 450000 | do_uong
    """,
    ),
    ProducerSpec(
        "HTX Ba kích Ba Chẽ",
        "htx",
        "Quảng Ninh",
        "Ba Chẽ",
        "thị trấn Ba Chẽ",
        "thao_duoc",
        products="""
        Ba kích tím khô túi 500g | túi | 450000
        Rượu ba kích Ba Chẽ chai 500ml | chai | 250000 | do_uong
        Trà hoa vàng Ba Chẽ hộp 50g | hộp | 850000
        Trà hoa vàng túi lọc hộp 20 gói | hộp | 280000
        Cao ba kích hũ 100g | hũ | 550000
        Ba kích ngâm mật ong hũ 500g | hũ | 380000
    """,
    ),
    ProducerSpec(
        "HTX Hạt dẻ Trùng Khánh",
        "htx",
        "Cao Bằng",
        "Trùng Khánh",
        "xã Chí Viễn",
        "thuc_pham",
        products="""
        Hạt dẻ Trùng Khánh rang túi 500g | túi | 130000
        Hạt dẻ Trùng Khánh tươi túi 1kg | túi | 180000
        Miến dong Phia Đén gói 500g | gói | 50000
        Bánh khảo Cao Bằng hộp 300g | hộp | 55000
        Lạp sườn Cao Bằng gói 500g | gói | 185000
        Mật ong hoa rừng Cao Bằng chai 500ml | chai | 220000
    """,
    ),
    ProducerSpec(
        "Công ty TNHH Bánh đậu xanh Phố Đông",
        "dn",
        "Hải Dương",
        "TP. Hải Dương",
        "phường Trần Phú",
        "thuc_pham",
        gs1=True,
        products="""
        Bánh đậu xanh hộp 220g | hộp | 40000
        Bánh đậu xanh hộp thiếc 440g | hộp | 85000
        Bánh đậu xanh nhân sầu riêng hộp 250g | hộp | 45000
        Bánh gai Ninh Giang túi 10 chiếc | túi | 80000
        Bánh khảo Hải Dương hộp 300g | hộp | 50000
        Bánh đậu xanh hộp quà 10 hộp nhỏ | hộp | 150000
        Vải thiều Thanh Hà sấy khô túi 500g | túi | 110000
    """,
    ),
    ProducerSpec(
        "HTX Tranh dân gian Đông Hồ",
        "htx",
        "Bắc Ninh",
        "Thuận Thành",
        "xã Song Hồ",
        "luu_niem",
        products="""
        Tranh Đông Hồ Đám cưới chuột 30×40cm | bức | 120000
        Tranh Đông Hồ Lợn đàn khung gỗ | bức | 250000
        Tranh Đông Hồ Gà đàn 30×40cm | bức | 120000
        Cặp tranh Đông Hồ Vinh hoa – Phú quý | bộ | 280000
        Tranh Đông Hồ Hứng dừa 30×40cm | bức | 120000
        Tranh Đông Hồ Chăn trâu thổi sáo khung gỗ | bức | 250000
        Bộ 5 tranh Đông Hồ mini hộp quà | bộ | 200000
        Lịch tranh Đông Hồ | cái | 150000
        Bưu thiếp tranh Đông Hồ bộ 10 tấm | bộ | 60000
        Tranh Đông Hồ Đánh ghen 60×90cm | bức | 650000
    """,
    ),
    ProducerSpec(
        "HTX Gốm Phù Lãng",
        "htx",
        "Bắc Ninh",
        "Quế Võ",
        "xã Phù Lãng",
        "luu_niem",
        products="""
        Bình gốm Phù Lãng men da lươn 35cm | cái | 650000
        Tranh gốm đắp nổi Phù Lãng | bức | 1500000
        Chậu cây gốm men nâu 25cm | cái | 180000
        Ấm tích gốm Phù Lãng | cái | 250000
        Lọ hoa gốm mộc dáng vò | cái | 220000
        Chum gốm Phù Lãng trang trí 50cm | cái | 1200000
    """,
    ),
    ProducerSpec(
        "HTX Mật ong Tam Đảo",
        "htx",
        "Vĩnh Phúc",
        "Tam Đảo",
        "xã Đại Đình",
        "thuc_pham",
        products="""
        Mật ong hoa rừng Tam Đảo chai 500ml | chai | 250000
        Mật ong hoa rừng Tam Đảo chai 1 lít | chai | 450000
        Mật ong ngâm chanh đào hũ 500ml | hũ | 180000
        Rượu sâm Tam Đảo chai 500ml | chai | 350000 | do_uong
        Trà xanh Tam Đảo túi 300g | túi | 90000 | do_uong
        Phấn hoa Tam Đảo lọ 250g | lọ | 140000
    """,
    ),
]

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ngô", "Dương", "Lý"]
MIDDLE = ["Văn", "Thị", "Đức", "Minh", "Thu", "Quang", "Thanh", "Hữu", "Ngọc", "Xuân"]
GIVEN = ["Hùng", "Lan", "Dũng", "Hà", "Tuấn", "Hương", "Long", "Mai", "Thắng", "Nga", "Sơn", "Hạnh", "Bình", "Yến"]


def _rows(spec: ProducerSpec) -> list[tuple[str, str, int, str]]:
    """The product lines of a producer: (name, unit, price, group)."""
    rows = []
    for raw in spec.products.strip().splitlines():
        parts = [part.strip() for part in raw.split("|")]
        group = parts[3] if len(parts) > 3 else spec.group
        rows.append((nfc(parts[0]), nfc(parts[1]), int(parts[2]), group))
    return rows


def _at(day: date, hour_local: int = 9) -> datetime:
    """A moment on a showroom day (UTC+7), as the aware UTC datetime the database keeps."""
    return datetime.combine(day, time(hour_local), tzinfo=UTC) - timedelta(hours=7)


def _vat_class(name: str, group: str) -> str:
    """5% for medicinal herbs and rice; the standard class for the rest."""
    if group == "thao_duoc" or name.startswith(("Gạo", "Hạt dẻ")):
        return "reduced"
    return "standard"


def _min_stock(rng: random.Random, price_vnd: int) -> int | None:
    """A reorder point that suits the goods: one costly lacquer painting on the wall is enough."""
    if price_vnd >= 1_000_000:
        return 1
    if price_vnd >= 300_000:
        return rng.choice([None, 2, 3])
    return rng.choice([None, None, 5, 10])


def _qty_for(rng: random.Random, price_vnd: int) -> int:
    """A believable quantity on the shelf: many cheap packets, a few costly pieces."""
    if price_vnd >= 1_000_000:
        return rng.randint(2, 6)
    if price_vnd >= 300_000:
        return rng.randint(4, 15)
    if price_vnd >= 100_000:
        return rng.randint(8, 30)
    return rng.randint(15, 60)


def demo_users(session: Session, users: list[tuple[str, str, str, str]] = DEMO_USERS) -> dict[str, User]:
    """The demo's staff by username: those missing created by create_user, with their passwords' hashes made once."""
    found = {u.username: u for u in session.scalars(select(User).where(User.username.in_([u[0] for u in users])))}  # type: ignore[attr-defined]
    hashes = dict(DEMO_PASSWORD_HASHES)
    for username, full_name, role, password in users:
        if username not in found:
            if password not in hashes:
                hashes[password] = generate_password_hash(password)
            found[username] = create_user(session, username, full_name, role, password, password_hash=hashes[password])
    return found


def seed(
    session: Session,
    instore_prefix: str = DEFAULT_INSTORE_PREFIX,
    today: date | None = None,
    staff: Staff | None = None,
    showroom: dict[str, Any] | None = None,
) -> bool:
    """Fill an empty showroom with demo producers, products and stock; False (and nothing done) if products exist.

    With ``staff`` (who works the till), a year of sales, shifts, returns and settlements comes first
    (pos/demo_history.py), then today's stock as the catalogue alone would give it.
    """
    if session.scalar(select(func.count()).select_from(Product)):
        return False
    # The dated VAT table comes from migration 0002, which every database passes before it can be seeded;
    # the demo adds no rates of its own so there is one source of them.
    if not session.scalar(select(func.count()).select_from(VatRate)):
        raise RuntimeError("VAT rates are missing: run `pos migrate` before seeding the demo")
    rng = random.Random(SEED)
    today = today or date.today()

    producers: list[tuple[ProducerSpec, Producer]] = []
    company_codes = rng.sample(range(1000, 9999), len(PRODUCERS))
    for index, spec in enumerate(PRODUCERS):
        contact = f"{rng.choice(FAMILY)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"
        producer = Producer(
            name=nfc(spec.name),
            name_search=fold(spec.name),
            kind=spec.kind,
            tax_code=f"{rng.randint(1, 9)}{rng.randint(0, 999_999_999):09d}",
            province=nfc(spec.province),
            district=nfc(spec.district),
            address=nfc(f"{spec.commune}, {spec.district}, {spec.province}"),
            contact_name=contact,
            phone=f"09{rng.randint(0, 9)}{rng.randint(0, 9_999_999):07d}",
            commission_bp=rng.choice([1500, 2000, 2000, 2500, 3000]),
            is_consignment=spec.kind != "dn" or index % 2 == 0,  # some companies sell outright to the showroom
            created_at=_at(today - timedelta(days=120)),
            updated_at=_at(today - timedelta(days=120)),
        )
        session.add(producer)
        producers.append((spec, producer))
    session.flush()

    products: list[tuple[Producer, Product]] = []
    # The catalogue's SKUs and in-store barcodes taken at once (one counter update each, not one per product).
    counts = [(len(_rows(spec)), spec.gs1) for spec, _ in producers]
    skus = iter(next_values(session, SKU_COUNTER, sum(n for n, _ in counts)))
    instore = iter(next_values(session, INSTORE_COUNTER, sum(n for n, gs1 in counts if not gs1)))
    for (spec, producer), company in zip(producers, company_codes, strict=True):
        item_ref = rng.randint(100, 900) * 10
        for name, unit, price, group in _rows(spec):
            if spec.gs1:
                item_ref += 1
                body = f"893{company:04d}{item_ref:05d}"
                barcode = body + gtin_check_digit(body)
            else:
                barcode = instore_ean13(next(instore), prefix=instore_prefix)
            stars = rng.choices([3, 4, 5], weights=[55, 35, 10])[0]
            issued = today - timedelta(days=rng.randint(60, 1000))
            commission = producer.commission_bp if producer.is_consignment else 3000
            product = Product(
                sku=f"SP{next(skus):06d}",
                barcode=barcode,
                name=name,
                name_search=fold(name),
                unit=unit,
                price_vnd=price,
                cost_vnd=price * (10_000 - commission) // 10_000 // 1000 * 1000,
                vat_class=_vat_class(name, group),
                ocop_group=group,
                ocop_stars=stars,
                ocop_cert_number=f"{rng.randint(120, 4800)}/QĐ-UBND",
                ocop_cert_expiry=issued + timedelta(days=3 * 365),  # certificates are valid 36 months
                producer_id=producer.id,  # type: ignore[arg-type]
                min_stock=_min_stock(rng, price),
                is_food=group in FOOD_GROUPS,
                created_at=producer.created_at,
                updated_at=producer.created_at,
            )
            session.add(product)
            products.append((producer, product))
    # A few certificates already lapsed or about to: the catalogue should be seen to warn about them.
    for offset, (_, product) in zip((-20, -3, 12, 25, 40), rng.sample(products, 5), strict=True):
        product.ocop_cert_expiry = today + timedelta(days=offset)
    session.flush()
    tell_english_names(session, [product for _, product in products])  # for an English receipt at the till

    open_from = None  # the first day no settlement has closed: today's stock is dated from it on
    if staff is not None:
        seed_history(session, [product for _, product in products], staff, today, showroom or {})
        settled_to = session.scalar(select(func.max(Settlement.period_end)))
        open_from = settled_to + timedelta(days=1) if settled_to else None
    _receive(session, rng, producers, products, today, open_from)
    _adjust(session, rng, products, today, open_from)
    session.flush()
    return True


def _receive(
    session: Session,
    rng: random.Random,
    producers: list[tuple[ProducerSpec, Producer]],
    products: list[tuple[Producer, Product]],
    today: date,
    open_from: date | None = None,
) -> None:
    """One delivery per producer with everything it supplies; fresh goods in a second, recent one.

    Never dated inside a settled period (``open_from`` on): a closed statement must still agree with the ledger.
    """
    by_producer: dict[int, list[Product]] = {}
    for producer, product in products:
        by_producer.setdefault(producer.id, []).append(product)  # type: ignore[arg-type]
    food = [product for _, product in products if product.is_food and not _perishable(product.name)]
    # A handful of long-life lots near their date, and exactly one already past it.
    near = {
        product.id: today + timedelta(days=days)
        for product, days in zip(rng.sample(food, 7), (-4, 6, 9, 15, 18, 22, 28), strict=True)
    }
    note_no = rng.randint(100, 400)
    for _spec, producer in producers:
        goods = by_producer[producer.id]  # type: ignore[index]
        fresh = [p for p in goods if _perishable(p.name)]
        lasting = [p for p in goods if not _perishable(p.name)]
        for received_on, batch in (
            (_not_before(today - timedelta(days=rng.randint(20, 75)), open_from, today), lasting),
            (today - timedelta(days=rng.randint(1, 3)), fresh),
        ):
            if not batch:
                continue
            note_no += 1
            intake = Intake(
                producer_id=producer.id,  # type: ignore[arg-type]
                received_on=received_on,
                delivery_note_number=f"PGH-{received_on:%y%m}-{note_no:04d}",
                note="Dữ liệu mẫu",
                created_at=_at(received_on),
            )
            session.add(intake)
            session.flush()
            lines = []
            for line_no, product in enumerate(batch, start=1):
                qty = _qty_for(rng, product.price_vnd)
                lot, made, expiry = "", None, None
                if product.is_food:
                    made = received_on - timedelta(days=rng.randint(1, 20) if not _perishable(product.name) else 1)
                    if product.id in near:
                        expiry = near[product.id]
                    elif _perishable(product.name):
                        expiry = received_on + timedelta(days=rng.randint(6, 12))
                    else:
                        expiry = made + timedelta(days=rng.choice([180, 270, 365, 540, 730]))
                    lot = f"L{made:%y%m%d}-{rng.randint(1, 9)}"
                line = IntakeLine(
                    intake_id=intake.id,  # type: ignore[arg-type]
                    line_no=line_no,
                    product_id=product.id,  # type: ignore[arg-type]
                    qty=qty,
                    unit_cost_vnd=product.cost_vnd,
                    lot_code=lot,
                    manufactured_on=made,
                    expiry_date=expiry,
                )
                lines.append((product, line))
            session.add_all([line for _, line in lines])
            session.flush()  # one flush per delivery: the lines' ids, for their lots and movements
            movements = []
            for (product, line), lot_row in zip(lines, lots_for_intake(session, lines), strict=True):
                movements.append(
                    StockMovement(
                        product_id=product.id,  # type: ignore[arg-type]
                        kind="intake",
                        qty_delta=line.qty,
                        unit_cost_vnd=product.cost_vnd,
                        intake_line_id=line.id,
                        lot_id=lot_row.id if lot_row else None,
                        created_at=_at(received_on),
                    )
                )
            record_movements(session, movements)


def _perishable(name: str) -> bool:
    return name.startswith(PERISHABLE_WORDS)


def _demo_moves(session: Session, product: Product, delta: int, **fields: object) -> None:
    """A demo adjustment, spread over a food product's lots as a manager's would be (first expiry first)."""
    session.flush()
    if delta < 0:
        (parts,) = allocate(session, [Want(product, -delta)], date.max, allow_negative=True, for_sale=False)
        parts = [(lot_id, -qty) for lot_id, qty in parts]
    else:
        lots = lots_of(session, [product.id]).get(product.id)  # type: ignore[list-item]
        parts = [(lots[-1].id if lots else None, delta)]
    record_movements(
        session,
        [
            StockMovement(product_id=product.id, qty_delta=qty, lot_id=lot_id, **fields)  # type: ignore[arg-type]
            for lot_id, qty in parts
        ],
    )


def _not_before(day: date, open_from: date | None, today: date) -> date:
    """``day``, or when a settled period holds it, a day as far into the open one (before today)."""
    if open_from is None or day >= open_from or open_from >= today:
        return day
    return open_from + timedelta(days=(open_from - day).days % (today - open_from).days)


def _adjust(
    session: Session,
    rng: random.Random,
    products: list[tuple[Producer, Product]],
    today: date,
    open_from: date | None = None,
) -> None:
    """A few adjustments a real month brings (a cracked vase, a lost scarf), and low stock on some shelves."""
    pool = [product for _, product in products]
    events = [
        ("adjustment", "damaged", -1, "Vỡ khi bày lên kệ"),
        ("adjustment", "damaged", -2, "Móp hộp khi vận chuyển"),
        ("adjustment", "lost", -1, "Không tìm thấy sau kiểm kê cuối ngày"),
        ("adjustment", "found", 1, "Tìm thấy trong kho sau"),
        ("count", "count", -2, "Kiểm kê cuối tháng"),
    ]
    for (kind, reason, delta, note), product in zip(events, rng.sample(pool, len(events)), strict=True):
        _demo_moves(
            session,
            product,
            delta,
            kind=kind,
            reason=reason,
            note=note,
            created_at=_at(_not_before(today - timedelta(days=rng.randint(1, 10)), open_from, today), 17),
        )
    # Sold down to the reorder point: the "sắp hết hàng" filter has something to show.
    for product in rng.sample([p for p in pool if p.min_stock], 8):
        session.flush()
        level = session.scalar(
            select(func.coalesce(func.sum(StockMovement.qty_delta), 0)).where(StockMovement.product_id == product.id)
        )
        target = rng.randint(0, product.min_stock or 0)
        if level and level > target:
            _demo_moves(
                session,
                product,
                target - int(level),
                kind="count",
                reason="count",
                note="Kiểm kê: đã bán gần hết",
                created_at=_at(today - timedelta(days=1), 18),
            )
