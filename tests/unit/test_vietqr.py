"""VietQR payloads: published vectors, CRC, TLV round trips, and QR images that decode."""

from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from pos.sales.vietqr import (
    build_vietqr_payload,
    clean_purpose,
    crc16_ccitt,
    parse_tlv,
    qr_png,
    qr_svg,
    verify_crc,
)

# Published vectors: the test table of the open-source Go library subiz/vietqr (MIT),
# https://github.com/subiz/vietqr/blob/0861e8ad89bca9675c54a736a214a5c30726952e/vietqr_test.go
# (the static one and the 25-character truncation one also appear in that repository's README).
# Arguments there: Generate(onetime, service, amount, bin, account, note); amount 0 means none.
PUBLISHED = [
    (
        ("970423", "0099999999", None, ""),
        "00020101021138540010A00000072701240006970423011000999999990208QRIBFTTA53037045802VN6304CBB4",
    ),
    (
        ("970422", "0023457923442", 40123, "test text string"),
        "00020101021238570010A00000072701270006970422011300234579234420208QRIBFTTA5303704540540123"
        "5802VN62200816test text string6304D9C6",
    ),
    (
        ("970422", "0023457923442", 40123, "chuyển khoản"),
        "00020101021238570010A00000072701270006970422011300234579234420208QRIBFTTA5303704540540123"
        "5802VN62160812chuyen khoan6304722F",
    ),
    (
        (
            "970422",
            "0023457923442ASDFLJ",
            40123,
            "chuyen khoan alsdkf laksjdflk asjdflja slkdalks djflkasjd fajsldk jalskdfj lkasjdflk ajslkfj l",
        ),
        "00020101021238630010A0000007270133000697042201190023457923442ASDFLJ0208QRIBFTTA53037045405"
        "401235802VN62290825chuyen khoan alsdkf laksj6304E5DB",
    ),
]


@pytest.mark.parametrize(("args", "expected"), PUBLISHED)
def test_published_vectors(args: tuple, expected: str) -> None:
    assert build_vietqr_payload(*args) == expected
    assert verify_crc(expected)


def test_crc_standard_check_value() -> None:
    # The catalogued check value of CRC-16/CCITT-FALSE over "123456789".
    assert crc16_ccitt(b"123456789") == 0x29B1


def test_fields_of_a_dynamic_payload() -> None:
    payload = build_vietqr_payload("970436", "0011002345678", 1_250_000, "HD CH01-2025-000123")
    fields = parse_tlv(payload)
    assert list(fields) == ["00", "01", "38", "53", "54", "58", "62", "63"]
    assert fields["00"] == "01"
    assert fields["01"] == "12"
    assert fields["53"] == "704"
    assert fields["54"] == "1250000"
    assert fields["58"] == "VN"
    assert fields["63"] == payload[-4:] and fields["63"] == fields["63"].upper()
    merchant = parse_tlv(fields["38"])
    assert merchant == {"00": "A000000727", "01": merchant["01"], "02": "QRIBFTTA"}
    assert parse_tlv(merchant["01"]) == {"00": "970436", "01": "0011002345678"}
    assert parse_tlv(fields["62"]) == {"08": "HD CH01-2025-000123"}


def test_static_payload_has_no_amount_and_card_service() -> None:
    payload = build_vietqr_payload("970436", "9704361234567890", None, "", service="QRIBFTTC")
    fields = parse_tlv(payload)
    assert fields["01"] == "11"
    assert "54" not in fields and "62" not in fields
    assert parse_tlv(fields["38"])["02"] == "QRIBFTTC"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Đơn HD-0012: bánh cốm!", "Don HD-0012 banh com"),
        ("ĐẶC SẢN Điện Biên", "DAC SAN Dien Bien"),
        ("  nhiều   khoảng\ttrắng\n", "nhieu khoang trang"),
        ("Mua 3 hộp chè Shan tuyết Suối Giàng", "Mua 3 hop che Shan tuyet"),  # cut at 25, then trimmed
        ("Trả 1 hộp quà tết", "Tra 1 hop qua tet"),
        ("漢字 emoji 🎉 only", "emoji only"),
        ("", ""),
    ],
)
def test_purpose_is_plain_ascii_and_short(text: str, expected: str) -> None:
    assert clean_purpose(text) == expected


def test_purpose_cut_at_25_leaves_no_trailing_space() -> None:
    assert clean_purpose("abcdefghijklmnopqrstuvwx yz") == "abcdefghijklmnopqrstuvwx"


@pytest.mark.parametrize(
    ("bank_bin", "account", "amount"),
    [
        ("97041", "0011002345678", 1000),  # BIN too short
        ("97041A", "0011002345678", 1000),
        ("970415", "", 1000),
        ("970415", "0011 0023", 1000),  # a space in the account
        ("970415", "0023457923442ASDFLJ111111", 1000),  # 25 characters: never trimmed silently
        ("970415", "0011002345678", 0),
        ("970415", "0011002345678", -5),
        ("970415", "0011002345678", 10**13),  # 14 digits: past EMVCo's 13
    ],
)
def test_bad_inputs_are_refused(bank_bin: str, account: str, amount: int) -> None:
    with pytest.raises(ValueError):
        build_vietqr_payload(bank_bin, account, amount, "x")


def test_unknown_service_is_refused() -> None:
    with pytest.raises(ValueError):
        build_vietqr_payload("970415", "0011002345678", 1000, "x", service="QRPUSH")


def test_verify_crc_catches_a_changed_digit() -> None:
    payload = build_vietqr_payload("970415", "0011002345678", 120_000, "ung ho")
    tampered = payload.replace("120000", "920000")
    assert verify_crc(payload)
    assert not verify_crc(tampered)
    assert not verify_crc(payload[:-8])
    assert not verify_crc(payload[:-4] + "ZZZZ")


def test_parse_tlv_rejects_truncation() -> None:
    with pytest.raises(ValueError):
        parse_tlv("000201010212385")
    with pytest.raises(ValueError):
        parse_tlv("00020")
    with pytest.raises(ValueError):
        parse_tlv("0x0201")


@given(
    amount=st.integers(min_value=1, max_value=10**12),
    purpose=st.text(),
)
def test_any_amount_and_purpose_give_a_valid_payload(amount: int, purpose: str) -> None:
    payload = build_vietqr_payload("970415", "113366668888", amount, purpose)
    assert payload.isascii()
    assert verify_crc(payload)
    fields = parse_tlv(payload)
    assert int(fields["54"]) == amount
    assert fields["01"] == "12"
    if "62" in fields:
        note = parse_tlv(fields["62"])["08"]
        assert 0 < len(note) <= 25
        assert all(ch.isalnum() or ch in " -" for ch in note)


def test_png_decodes_to_the_exact_payload() -> None:
    payload = build_vietqr_payload("970415", "113366668888", 1_250_000, "Đơn CH01-2025-000123")
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr_png(payload))))
    assert [r.text for r in results] == [payload]
    assert results[0].format == zxingcpp.BarcodeFormat.QRCode


def test_svg_is_one_inline_svg_element() -> None:
    svg = qr_svg(build_vietqr_payload("970415", "113366668888", 50_000, "test"))
    root = ET.fromstring(svg)
    assert root.tag.endswith("svg")
    assert root.find("{http://www.w3.org/2000/svg}path") is not None
    assert "http" not in svg.replace("http://www.w3.org/2000/svg", "")  # nothing fetched over a network
