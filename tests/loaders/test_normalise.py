"""Tests for loaders.normalise. All phone numbers, accounts and ID numbers are made up."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from loaders.normalise import (
    PROBLEMS,
    Normalised,
    clean_text,
    id_birth_date,
    id_gender,
    is_missing,
    normalise_address,
    normalise_bank_account,
    normalise_email,
    normalise_id_number,
    normalise_identifier,
    normalise_phone,
    parse_agent_type,
    parse_channel,
    parse_contact_type,
    parse_date,
    parse_flag,
    parse_gender,
    parse_id_type,
    parse_role,
    split_address,
)

# ---------------------------------------------------------------------------
# is_missing and clean_text


@pytest.mark.parametrize(
    "value",
    [
        None,
        float("nan"),
        np.nan,
        pd.NA,
        pd.NaT,
        "",
        "   ",
        "\u3000",
        "NA",
        "n/a",
        "N/A",
        "#N/A",
        "NaN",
        "nan",
        "NULL",
        "None",
        "nil",
        "无",
        "空",
        "暂无",
        "不详",
        "未知",
        "-",
        "--",
        "—",
        "/",
        "\\N",
        "－",
        " null ",
    ],
    ids=repr,
)
def test_is_missing_null_markers(value: object) -> None:
    assert is_missing(value)


@pytest.mark.parametrize(
    "value", ["0", 0, 0.0, "x", "无锡", "N", "-1", "未知路1号", date(2024, 1, 1)], ids=repr
)
def test_is_missing_real_values(value: object) -> None:
    assert not is_missing(value)


def test_clean_text_full_width_and_spaces() -> None:
    assert clean_text("  ＡＢＣ\u3000１２３   张\t三 ") == "ABC 123 张 三"


def test_clean_text_missing_is_none() -> None:
    assert clean_text(" 暂无 ") is None
    assert clean_text(float("nan")) is None


def test_clean_text_removes_zero_width_space() -> None:
    assert clean_text("张三\u200b") == "张三"


def test_clean_text_number() -> None:
    assert clean_text(42) == "42"


# ---------------------------------------------------------------------------
# Phone numbers


@pytest.mark.parametrize(
    "value",
    [
        "+86 139 1234 5678",
        "0086 13912345678",
        "13912345678",
        "１３９１２３４５６７８",
        "8613912345678",
        13912345678,
    ],
    ids=repr,
)
def test_normalise_phone_mobile_forms(value: object) -> None:
    result = normalise_phone(value)
    assert result.key == "+8613912345678"
    assert result.linkable
    assert result.flags == ()
    assert result.problem is None
    assert result.original == str(value)


def test_normalise_phone_landline_with_extension() -> None:
    result = normalise_phone("020-81234567转808")
    assert result.key == "+862081234567"
    assert result.extension == "808"
    assert result.linkable
    assert result.original == "020-81234567转808"


@pytest.mark.parametrize(
    "value",
    [
        "020-81234567 分机 808",
        "020 8123 4567 ext. 808",
        "02081234567ext808",
        "020-81234567 x808",
        "020-81234567#808",
        "020-81234567 EXT 808",
    ],
)
def test_normalise_phone_extension_markers(value: str) -> None:
    result = normalise_phone(value)
    assert result.key == "+862081234567"
    assert result.extension == "808"


def test_normalise_phone_without_extension_has_none() -> None:
    assert normalise_phone("02081234567").extension is None


def test_normalise_phone_local_number_without_area_code() -> None:
    result = normalise_phone("81234567")
    assert result.key == "local:81234567"
    assert not result.linkable
    assert result.flags == ("no_area_code",)
    assert result.problem is None


def test_normalise_phone_seven_digit_local_number() -> None:
    result = normalise_phone("8123456")
    assert result.key == "local:8123456"
    assert result.flags == ("no_area_code",)


def test_normalise_phone_local_rule_needs_default_country() -> None:
    # The same eight digits after an explicit country code are not a local number.
    result = normalise_phone("+86 81234567")
    assert result.key == "+8681234567"
    assert "no_area_code" not in result.flags


@pytest.mark.parametrize(
    "value", ["00000000000", "13800138000", "+86 138 0013 8000", "11111111111", "88888888"]
)
def test_normalise_phone_placeholder(value: str) -> None:
    result = normalise_phone(value)
    assert result.flags == ("placeholder",)
    assert result.linkable
    assert result.key is not None
    assert result.problem is None


def test_normalise_phone_placeholder_key_is_e164() -> None:
    assert normalise_phone("13800138000").key == "+8613800138000"
    assert normalise_phone("0086-138-0013-8000").key == "+8613800138000"


def test_normalise_phone_custom_denylist() -> None:
    assert normalise_phone("13912345678", denylist=("139-1234-5678",)).flags == ("placeholder",)
    assert normalise_phone("13800138000", denylist=()).flags == ()


def test_normalise_phone_six_repeated_digits_not_placeholder() -> None:
    assert "placeholder" not in normalise_phone("666666").flags


@pytest.mark.parametrize(
    "value", ["abc", "电话", "0", "12", "12345", "139123", "95588", "13912345678/13812345678"], ids=repr
)
def test_normalise_phone_invalid(value: str) -> None:
    result = normalise_phone(value)
    assert result.key is None
    assert not result.linkable
    assert result.problem == "invalid_phone"


def test_normalise_phone_us_region() -> None:
    result = normalise_phone("(555) 123-4567", default_region="US")
    assert result.key == "+15551234567"
    assert result.problem is None
    # 555 numbers are possible but not assigned.
    assert result.flags == ("invalid_number",)
    assert result.linkable


def test_normalise_phone_us_valid_number() -> None:
    result = normalise_phone("(202) 555-0123", default_region="US")
    assert result.key == "+12025550123"
    assert result.flags == ()


def test_normalise_phone_us_local_only() -> None:
    result = normalise_phone("555-0123", default_region="US")
    assert result.key == "local:5550123"
    assert result.flags == ("no_area_code",)
    assert not result.linkable


def test_normalise_phone_invalid_but_possible() -> None:
    # Shenzhen landlines have 8 digits after 0755, so 7 is a possible length but invalid.
    result = normalise_phone("0755-1234567")
    assert result.key == "+867551234567"
    assert result.flags == ("invalid_number",)
    assert result.linkable


def test_normalise_phone_foreign_country_code() -> None:
    assert normalise_phone("+852 9123 4567").key == "+85291234567"


def test_normalise_phone_scientific_notation() -> None:
    result = normalise_phone("1.39123E+10")
    assert result.problem == "number_cell"
    assert result.key is None


def test_normalise_phone_whole_float() -> None:
    result = normalise_phone(13912345678.0)
    assert result.key == "+8613912345678"
    assert result.original == "13912345678.0"


def test_normalise_phone_missing() -> None:
    for value in (None, float("nan"), "", "暂无"):
        result = normalise_phone(value)
        assert result.key is None
        assert result.problem is None
        assert not result.linkable


# ---------------------------------------------------------------------------
# Bank accounts


def test_normalise_bank_account_keeps_all_19_digits() -> None:
    result = normalise_bank_account("6222021234567890123")
    assert result.key == "6222021234567890123"
    assert result.linkable
    assert result.problem is None


def test_normalise_bank_account_large_int_keeps_digits() -> None:
    assert normalise_bank_account(6222021234567890123).key == "6222021234567890123"


def test_normalise_bank_account_strips_separators() -> None:
    assert normalise_bank_account(" 6222 0212-3456 7890 123 ").key == "6222021234567890123"
    assert normalise_bank_account("６２２２０２１２３４５６７８９０１２３").key == "6222021234567890123"


@pytest.mark.parametrize("value", [6.22202e18, "6.22202E+18", "6.22202e18", "62220212345678.0"], ids=repr)
def test_normalise_bank_account_number_cell(value: object) -> None:
    result = normalise_bank_account(value)
    assert result.problem == "number_cell"
    assert result.key is None


@pytest.mark.parametrize("value", ["1234567", "1" * 31, "6222abc1234567", "工行 6222021234"], ids=repr)
def test_normalise_bank_account_invalid(value: str) -> None:
    result = normalise_bank_account(value)
    assert result.problem == "invalid_bank_account"
    assert result.key is None
    assert not result.linkable


def test_normalise_bank_account_length_bounds() -> None:
    assert normalise_bank_account("12345678").key == "12345678"
    assert normalise_bank_account("1" * 30).key == "1" * 30


# ---------------------------------------------------------------------------
# ID numbers


def test_normalise_id_number_valid() -> None:
    result = normalise_id_number("31010419851123124X")
    assert result.key == "31010419851123124X"
    assert result.linkable
    assert result.flags == ()
    assert result.problem is None


def test_normalise_id_number_lowercase_x() -> None:
    lower = normalise_id_number("31010419851123124x")
    upper = normalise_id_number("31010419851123124X")
    assert lower.key == upper.key
    assert lower.flags == ("lowercase_x",)
    assert upper.flags == ()


def test_normalise_id_number_upgrades_15_digits() -> None:
    result = normalise_id_number("310104851123124")
    assert result.key == "31010419851123124X"
    assert result.flags == ("upgraded_15",)
    assert result.linkable


def test_normalise_id_number_spaces_and_full_width() -> None:
    assert normalise_id_number(" 310104 19851123 124X ").key == "31010419851123124X"
    assert normalise_id_number("３１０１０４１９８５１１２３１２４Ｘ").key == "31010419851123124X"


def test_normalise_id_number_checksum_keeps_key() -> None:
    result = normalise_id_number("310104198511231251")
    assert result.problem == "id_checksum"
    # The key stays so the report can show it, but it must not link customers.
    assert result.key == "310104198511231251"
    assert not result.linkable


def test_normalise_id_number_impossible_birth_date() -> None:
    result = normalise_id_number("320106199902291230")
    assert result.problem == "id_birth_date"
    assert result.key is None


@pytest.mark.parametrize("value", ["310104299911231233", "310104189911231236"], ids=["future", "before-1900"])
def test_normalise_id_number_birth_date_out_of_range(value: str) -> None:
    assert normalise_id_number(value).problem == "id_birth_date"


def test_normalise_id_number_leap_day_female() -> None:
    result = normalise_id_number("440305200002291240")
    assert result.problem is None
    assert result.linkable
    assert id_gender(result.key) == "F"
    assert id_birth_date(result.key) == date(2000, 2, 29)


@pytest.mark.parametrize("value", ["310104198511231000", 3.10104198511231e17, "3.10104E+17"], ids=repr)
def test_normalise_id_number_truncated(value: object) -> None:
    result = normalise_id_number(value)
    assert result.problem == "id_truncated"
    assert result.key is None


@pytest.mark.parametrize(
    "value", ["12345", "3101041985112312", "31010419851123124Y", "X10104198511231240", "3101041985112312345"]
)
def test_normalise_id_number_format(value: str) -> None:
    result = normalise_id_number(value)
    assert result.problem == "id_format"
    assert result.key is None


def test_normalise_id_number_unknown_region_is_flag() -> None:
    result = normalise_id_number("990000198511231237")
    assert result.problem is None
    assert result.flags == ("id_unknown_region",)
    assert result.key == "990000198511231237"
    assert result.linkable


def test_normalise_id_number_region_without_county_is_flag() -> None:
    # 710101 (Taiwan) has no county entry in python-stdnum's table.
    result = normalise_id_number("710101199001011239")
    assert result.problem is None
    assert result.flags == ("id_unknown_region",)


def test_normalise_id_number_region_newer_than_birth() -> None:
    # 440106 (Tianhe, Guangzhou) dates from after 1970; the ID was issued later.
    result = normalise_id_number("440106197001011236")
    assert result.problem is None
    assert result.flags == ()


def test_normalise_id_number_flags_sorted() -> None:
    result = normalise_id_number("99000019851123100x")
    assert result.key == "99000019851123100X"
    assert result.flags == ("id_unknown_region", "lowercase_x")


@pytest.mark.parametrize("id_type", [None, float("nan"), "resident_id", "居民身份证", "身份证"], ids=repr)
def test_normalise_id_number_resident_id_types(id_type: object) -> None:
    assert normalise_id_number("310104198511231251", id_type).problem == "id_checksum"


@pytest.mark.parametrize("id_type", ["passport", "护照", "hk_macau_permit", "台胞证", "other"])
def test_normalise_id_number_other_documents(id_type: str) -> None:
    result = normalise_id_number(" e1234 5678 ", id_type)
    assert result.key == "E12345678"
    assert result.problem is None
    assert result.linkable


def test_normalise_id_number_other_document_not_checked() -> None:
    result = normalise_id_number("310104198511231251", "passport")
    assert result.key == "310104198511231251"
    assert result.problem is None


def test_normalise_id_number_unknown_id_type() -> None:
    with pytest.raises(ValueError, match="ID document type"):
        normalise_id_number("31010419851123124X", "驾驶证")


def test_id_gender_male() -> None:
    assert id_gender("310104198511231251") == "M"


def test_id_helpers_reject_non_resident_keys() -> None:
    for key in (None, "E12345678", "310104851123124"):
        assert id_gender(key) is None
        assert id_birth_date(key) is None


def test_id_birth_date_impossible() -> None:
    assert id_birth_date("320106199902291230") is None


def test_id_birth_date_valid() -> None:
    assert id_birth_date("31010419851123124X") == date(1985, 11, 23)


# ---------------------------------------------------------------------------
# Addresses


def test_normalise_address_removes_spaces_in_chinese_text() -> None:
    result = normalise_address("广东省广州市天河区体育西路 1 号")
    assert result.key == "广东省广州市天河区体育西路1号"
    assert result.linkable


def test_normalise_address_full_width_and_ascii_words() -> None:
    result = normalise_address("深圳市南山区 Ｒｏｏｍ   １０１ 科技园")
    assert result.key == "深圳市南山区Room 101科技园"


def test_normalise_address_missing() -> None:
    assert normalise_address("  ").key is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("广东省广州市天河区体育西路 1 号", ("广东省", "广州市", "天河区")),
        ("上海市 浦东新区 世纪大道100号", ("上海市", "上海市", "浦东新区")),
        ("北京市朝阳区建国路1号", ("北京市", "北京市", "朝阳区")),
        (
            "新疆维吾尔自治区伊犁哈萨克自治州伊宁市解放路1号",
            ("新疆维吾尔自治区", "伊犁哈萨克自治州", "伊宁市"),
        ),
        ("内蒙古自治区锡林郭勒盟锡林浩特市", ("内蒙古自治区", "锡林郭勒盟", "锡林浩特市")),
        ("江苏省苏州市昆山市前进路1号", ("江苏省", "苏州市", "昆山市")),
        ("黑龙江省大兴安岭地区漠河县", ("黑龙江省", "大兴安岭地区", "漠河县")),
        ("广州市天河区体育西路1号", (None, "广州市", "天河区")),
        ("广东省天河区体育西路1号", ("广东省", None, "天河区")),
        ("广州市天河北路花园小区3栋", (None, "广州市", None)),
        ("体育西路1号", (None, None, None)),
        ("", (None, None, None)),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_split_address(text: str, expected: tuple[str | None, str | None, str | None]) -> None:
    assert split_address(text) == expected


# ---------------------------------------------------------------------------
# Email and generic identifiers


def test_normalise_email_lowercase() -> None:
    result = normalise_email("  Zhang.San@Example.COM ")
    assert result.key == "zhang.san@example.com"
    assert result.linkable


def test_normalise_email_full_width() -> None:
    assert normalise_email("ｚｈａｎｇ＠ｅｘａｍｐｌｅ．ｃｏｍ").key == "zhang@example.com"


@pytest.mark.parametrize(
    "value", ["zhang", "zhang@example", "@example.com", "a@@example.com", "a b@example.com"]
)
def test_normalise_email_invalid(value: str) -> None:
    result = normalise_email(value)
    assert result.problem == "invalid_email"
    assert result.key is None


def test_normalise_identifier_casefold() -> None:
    result = normalise_identifier(" ＡＢ:CD:ef ")
    assert result.key == "ab:cd:ef"
    assert result.linkable


def test_normalise_identifier_missing() -> None:
    result = normalise_identifier(None)
    assert result.key is None
    assert result.original == ""


# ---------------------------------------------------------------------------
# Normalised and PROBLEMS


def test_normalised_is_frozen() -> None:
    result = normalise_email("a@example.com")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.key = "b@example.com"  # type: ignore[misc]


def _all_codes(result: Normalised) -> list[str]:
    return [*result.flags, *([result.problem] if result.problem else [])]


def test_problems_explain_every_code() -> None:
    results = [
        normalise_phone("abc"),
        normalise_phone("0755-1234567"),
        normalise_phone("81234567"),
        normalise_phone("00000000000"),
        normalise_phone("1.39123E+10"),
        normalise_bank_account("123"),
        normalise_id_number("31010419851123124x"),
        normalise_id_number("310104851123124"),
        normalise_id_number("310104198511231251"),
        normalise_id_number("320106199902291230"),
        normalise_id_number("12345"),
        normalise_id_number("310104198511231000"),
        normalise_id_number("990000198511231237"),
        normalise_email("zhang"),
    ]
    codes = {code for result in results for code in _all_codes(result)}
    assert codes == set(PROBLEMS)


@pytest.mark.parametrize("code", sorted(PROBLEMS))
def test_problems_have_both_languages(code: str) -> None:
    chinese, english = PROBLEMS[code]
    assert any("\u4e00" <= char <= "\u9fff" for char in chinese)
    assert english.isascii()
    assert english


# ---------------------------------------------------------------------------
# Vocabularies


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("男", "M"),
        ("女", "F"),
        ("m", "M"),
        ("F", "F"),
        ("Male", "M"),
        ("female", "F"),
        (1, "M"),
        ("2", "F"),
        (2.0, "F"),
        ("男性", "M"),
        (" 女 ", "F"),
        (None, None),
        ("", None),
    ],
    ids=repr,
)
def test_parse_gender(value: object, expected: str | None) -> None:
    assert parse_gender(value) == expected


def test_parse_gender_invalid_lists_accepted_values() -> None:
    with pytest.raises(ValueError, match=r"invalid gender '3'.*男.*female"):
        parse_gender("3")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-03-01", date(2024, 3, 1)),
        ("2024/3/1", date(2024, 3, 1)),
        ("2024.3.1", date(2024, 3, 1)),
        ("20240301", date(2024, 3, 1)),
        ("2024年3月1日", date(2024, 3, 1)),
        ("２０２４年３月１日", date(2024, 3, 1)),
        ("2024-03-01 00:00:00", date(2024, 3, 1)),
        (datetime(2024, 3, 1, 15, 30), date(2024, 3, 1)),
        (date(2024, 3, 1), date(2024, 3, 1)),
        (pd.Timestamp("2024-03-01"), date(2024, 3, 1)),
        (45352, date(2024, 3, 1)),
        (45352.75, date(2024, 3, 1)),
        (np.int64(45352), date(2024, 3, 1)),
        (20240301, date(2024, 3, 1)),
        (None, None),
        (pd.NaT, None),
        ("", None),
    ],
    ids=repr,
)
def test_parse_date(value: object, expected: date | None) -> None:
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["2024-02-30", "next week", "01/03/2024", 0, -5, 1.5e9, True], ids=repr)
def test_parse_date_invalid(value: object) -> None:
    with pytest.raises(ValueError, match="YYYY-MM-DD"):
        parse_date(value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("投保人", "policyholder"),
        ("被保险人", "insured"),
        ("受益人", "beneficiary"),
        ("Policyholder", "policyholder"),
    ],
)
def test_parse_role(value: str, expected: str) -> None:
    assert parse_role(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("个险", "agency"),
        ("个人代理", "agency"),
        ("agency", "agency"),
        ("银保", "bancassurance"),
        ("银行代理", "bancassurance"),
        ("中介", "intermediary"),
        ("经代", "intermediary"),
        ("专业代理", "intermediary"),
        ("Intermediary", "intermediary"),
    ],
)
def test_parse_channel(value: str, expected: str) -> None:
    assert parse_channel(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("营销员", "agent"),
        ("agent", "agent"),
        ("银保专管员", "bancassurance_specialist"),
        ("bancassurance_specialist", "bancassurance_specialist"),
        ("代理机构", "agency"),
        ("agency", "agency"),
    ],
)
def test_parse_agent_type(value: str, expected: str) -> None:
    assert parse_agent_type(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("亲属", "relative"),
        ("relative", "relative"),
        ("机构办公", "agency_office"),
        ("机构员工", "agency_staff"),
    ],
)
def test_parse_contact_type(value: str, expected: str) -> None:
    assert parse_contact_type(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("身份证", "resident_id"),
        ("居民身份证", "resident_id"),
        ("resident_id", "resident_id"),
        ("护照", "passport"),
        ("港澳居民来往内地通行证", "hk_macau_permit"),
        ("回乡证", "hk_macau_permit"),
        ("台湾居民来往大陆通行证", "taiwan_permit"),
        ("台胞证", "taiwan_permit"),
        ("外国人永久居留身份证", "foreign_permanent_residence"),
        ("其他", "other"),
    ],
)
def test_parse_id_type(value: str, expected: str) -> None:
    assert parse_id_type(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("是", True),
        ("否", False),
        ("Y", True),
        ("n", False),
        ("YES", True),
        ("no", False),
        ("true", True),
        ("False", False),
        ("1", True),
        ("0", False),
        (1, True),
        (0, False),
        (1.0, True),
        (True, True),
        (None, None),
    ],
    ids=repr,
)
def test_parse_flag(value: object, expected: bool | None) -> None:
    assert parse_flag(value) == expected


@pytest.mark.parametrize(
    ("parser", "value", "accepted"),
    [
        (parse_role, "投保", "投保人 (policyholder)"),
        (parse_channel, "电销", "银保 (bancassurance)"),
        (parse_agent_type, "经理", "银保专管员 (bancassurance_specialist)"),
        (parse_contact_type, "朋友", "亲属 (relative)"),
        (parse_id_type, "驾驶证", "台胞证 (taiwan_permit)"),
        (parse_flag, "maybe", "是 (True)"),
    ],
    ids=lambda value: getattr(value, "__name__", None),
)
def test_vocabulary_errors_list_accepted_values(
    parser: Callable[[object], object], value: str, accepted: str
) -> None:
    with pytest.raises(ValueError) as error:
        parser(value)
    assert repr(value) in str(error.value)
    assert accepted in str(error.value)
