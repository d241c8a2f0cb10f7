"""Tests for kycgraph.masking. All values are made up."""

from __future__ import annotations

import pytest

from kycgraph.masking import (
    mask_account,
    mask_address,
    mask_email,
    mask_generic,
    mask_id_number,
    mask_name,
    mask_phone,
    mask_value,
)


def test_mask_phone_e164_mobile() -> None:
    assert mask_phone("+8613812348000") == "138****8000"


def test_mask_phone_raw_mobile() -> None:
    assert mask_phone("139 1234 5678") == "139****5678"


def test_mask_phone_landline() -> None:
    assert mask_phone("+862081234567") == "208****4567"


def test_mask_phone_local_key_keeps_last_two() -> None:
    assert mask_phone("local:81234567") == "****67"


def test_mask_phone_without_digits() -> None:
    assert mask_phone("unknown") == "u*****n"


def test_mask_account_19_digits() -> None:
    assert mask_account("6222021234567890123") == "6222 **** **** *** 0123"


def test_mask_account_16_digits() -> None:
    assert mask_account("6222 0212 3456 7890") == "6222 **** **** 7890"


def test_mask_account_short() -> None:
    assert mask_account("12345678") == "**** 5678"


def test_mask_id_number_resident_id() -> None:
    assert mask_id_number("31010419851123124X") == "310104********124X"


def test_mask_id_number_legacy_15_digits() -> None:
    assert mask_id_number("310104851123124") == "310104*****3124"


def test_mask_id_number_passport() -> None:
    assert mask_id_number("E12345678") == "E1*****78"


def test_mask_email() -> None:
    assert mask_email("zhang.san@example.com") == "z***@example.com"


def test_mask_email_without_at() -> None:
    assert mask_email("zhang.san") == "zh*****an"


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("广东省广州市天河区体育西路1号", "广东省广州市****"),
        ("上海市 浦东新区 世纪大道100号", "上海市****"),
        ("北京市朝阳区建国路1号", "北京市朝阳区****"),
        ("新疆维吾尔自治区伊犁哈萨克自治州伊宁市解放路1号", "新疆维吾尔自****"),
        ("体育西路100号3栋", "体育西****"),
        ("广东省广州市", "广东省广****"),
    ],
)
def test_mask_address(address: str, expected: str) -> None:
    assert mask_address(address) == expected


def test_mask_name() -> None:
    assert mask_name("张三丰") == "张**"
    assert mask_name("张三") == "张*"
    assert mask_name("张") == "*"


def test_mask_generic_keeps_two_each_end() -> None:
    assert mask_generic("abcdef123456") == "ab********56"


def test_mask_generic_short_values() -> None:
    assert mask_generic("abcde") == "a***e"
    assert mask_generic("abcd") == "****"


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        ("phone", "+8613812348000", "138****8000"),
        ("bank_account", "6222021234567890123", "6222 **** **** *** 0123"),
        ("id_number", "31010419851123124X", "310104********124X"),
        ("email", "zhang.san@example.com", "z***@example.com"),
        ("address", "广东省广州市天河区体育西路1号", "广东省广州市****"),
        ("name", "张三丰", "张**"),
        ("device_id", "abcdef123456", "ab********56"),
    ],
)
def test_mask_value_dispatch(kind: str, value: str, expected: str) -> None:
    assert mask_value(kind, value) == expected


_SAMPLES = "13912345678622202123456789012331010419851123124Xabcdefghij广东省广州市天河区体育西路1号"


@pytest.mark.parametrize("kind", ["phone", "bank_account", "id_number", "email", "address", "name", "ip"])
def test_mask_value_never_returns_long_value(kind: str) -> None:
    for start in range(0, len(_SAMPLES), 7):
        for length in range(5, 31):
            value = _SAMPLES[start : start + length]
            if len(value) < 5:
                continue
            masked = mask_value(kind, value)
            assert masked != value
            assert value not in masked


# Names are left out because they keep their first character (张*).
@pytest.mark.parametrize("kind", ["phone", "bank_account", "id_number", "email", "address", "ip"])
def test_mask_value_hides_short_values(kind: str) -> None:
    for value in ("1", "12", "123", "1234", "张三", "ab"):
        assert set(mask_value(kind, value)) <= {"*", " "}, value
