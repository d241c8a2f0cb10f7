"""Normalise cell values from insurer exports into link keys and small vocabularies.

Every function here takes one cell (``str``, ``int``, ``float``, ``None``,
``NaN`` or ``pd.NA``, as pandas delivers it) and returns a value, without
logging or I/O of its own. Two outside inputs remain: python-stdnum reads its
region-code table on first use, and the resident-ID check compares birth dates
with today's date.

Identifier normalisers (phone, bank account, ID number, address, email, other
identifiers) return a :class:`Normalised` that keeps the original value next to
the link key, so a report can show what was read and why it was changed or
rejected. Problem and flag codes are explained in Chinese and English in
:data:`PROBLEMS`.

Vocabulary parsers (gender, date, role, channel, agent type, contact type, ID
type, yes/no flag) return the canonical value, ``None`` for a missing cell,
and raise ``ValueError`` naming the accepted values for anything else.
"""

from __future__ import annotations

import math
import numbers
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Generic, Literal, TypeVar

import pandas as pd
import phonenumbers
from stdnum import numdb
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from kycgraph.settings import DEFAULT_PHONE_DENYLIST

Gender = Literal["M", "F"]
Role = Literal["policyholder", "insured", "beneficiary"]
Channel = Literal["agency", "bancassurance", "intermediary"]
AgentType = Literal["agent", "bancassurance_specialist", "agency"]
ContactType = Literal["relative", "agency_office", "agency_staff"]
IdType = Literal[
    "resident_id", "passport", "hk_macau_permit", "taiwan_permit", "foreign_permanent_residence", "other"
]

_Term = TypeVar("_Term")


@dataclass(frozen=True, slots=True)
class Normalised:
    """One identifier cell: the value as read, its link key and its data-quality findings.

    A missing cell gives ``key=None`` and ``problem=None``. An unusable value
    gives ``key=None`` and a ``problem`` code, except ``id_checksum``, which
    keeps the compacted ID number as key (with ``linkable=False``) so that it
    can be reported.
    """

    original: str  # the value as read (after str(), before NFKC); "" for None and NaN
    key: str | None  # the normalised link key; None when unusable or missing
    linkable: bool  # whether the key may join different customers
    flags: tuple[str, ...]  # data-quality flag codes, sorted
    problem: str | None = None  # code of why the value is unusable, a key of PROBLEMS
    extension: str | None = None  # phone extension, kept apart from the key


# Problem and flag codes with (Chinese, English) explanations that include the expected form.
PROBLEMS: dict[str, tuple[str, str]] = {
    "invalid_phone": (
        "无法识别的电话号码，应为 11 位手机号或带区号的固定电话",
        "not a recognisable phone number; expected an 11-digit mobile or a landline with area code",
    ),
    "invalid_number": (
        "号码长度可能成立，但不是已分配的有效号码，请核实；应为 11 位手机号或带区号的固定电话",
        "the number has a possible length but is not a valid assigned number, so check it; "
        "expected an 11-digit mobile or a landline with area code",
    ),
    "no_area_code": (
        "固定电话缺少区号，无法与其他客户比对；应写成区号加号码，如 020-81234567",
        "landline without area code, so it cannot be compared across customers; "
        "expected area code and number, e.g. 020-81234567",
    ),
    "placeholder": (
        "占位号码（如 00000000000、13800138000），不是客户本人的联系电话；应填写客户本人的真实号码",
        "placeholder number (such as 00000000000 or 13800138000), not the customer's own phone; "
        "expected the customer's real number",
    ),
    "number_cell": (
        "该列在电子表格中以数值保存，长号码已丢失位数；请把该列设为文本格式后重新导出",
        "the column was stored as a number in a spreadsheet, so long numbers lost digits; "
        "re-export the column as text",
    ),
    "invalid_bank_account": (
        "无法识别的银行账号，应为 8 至 30 位数字",
        "not a recognisable bank account; expected 8 to 30 digits",
    ),
    "lowercase_x": (
        "身份证号码末位写成了小写 x，已改为大写 X",
        "the resident ID ends in a lowercase x, which was changed to uppercase X",
    ),
    "upgraded_15": (
        "15 位旧身份证号码，已按 GB 11643-1999 升为 18 位",
        "legacy 15-digit resident ID, converted to 18 characters by GB 11643-1999",
    ),
    "id_checksum": (
        "身份证号码校验位错误；应为 18 位，末位符合 GB 11643-1999 校验规则",
        "the resident ID's check character is wrong; expected 18 characters whose last one "
        "matches the GB 11643-1999 check",
    ),
    "id_birth_date": (
        "身份证号码中的出生日期不存在；第 7 至 14 位应为 1900 年以后、不晚于今天的日期 YYYYMMDD",
        "the birth date in the resident ID is impossible; characters 7 to 14 must be a date "
        "YYYYMMDD from 1900 up to today",
    ),
    "id_format": (
        "身份证号码格式错误，应为 18 位（17 位数字加一位数字或 X）或 15 位数字",
        "the resident ID has the wrong format; expected 18 characters (17 digits, then a digit or X) "
        "or 15 digits",
    ),
    "id_truncated": (
        "身份证号码被电子表格截断（以数值保存后末几位变成 0）；请把该列设为文本格式后重新导出",
        "the resident ID was truncated by a spreadsheet (stored as a number, its last digits became 0); "
        "re-export the column as text",
    ),
    "id_unknown_region": (
        "身份证号码前 6 位行政区划代码未知，请核实",
        "the region code (first 6 digits) of the resident ID is unknown, so check it",
    ),
    "invalid_email": (
        "无法识别的电子邮箱，应为 名称@域名 的形式，如 name@example.com",
        "not a recognisable email address; expected the form local@domain, e.g. name@example.com",
    ),
}


# ---------------------------------------------------------------------------
# Missing values and text


# Null markers, compared after NFKC, strip and casefold.
_NULL_MARKERS = frozenset(
    {
        "na",
        "n/a",
        "#n/a",
        "nan",
        "null",
        "none",
        "nil",
        "无",
        "空",
        "暂无",
        "不详",
        "未知",
        "-",
        "--",
        "—",
        "——",
        "/",
        "\\n",
    }
)
# Invisible characters that survive NFKC and often come from copy and paste.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))
_WHITESPACE_RUN = re.compile(r"\s+")
_SCIENTIFIC = re.compile(r"^[+-]?\d+(?:\.\d*)?[eE][+-]?\d+$")
# A whole number printed from a float, as pandas writes a number column to text.
_FLOAT_TEXT = re.compile(r"^\d+\.0+$")


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).translate(_INVISIBLE)


def _is_null_scalar(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    return False


def is_missing(value: object) -> bool:
    """Return whether a cell is empty: None, NaN, pd.NA, blank text or a null marker.

    Null markers are compared case-insensitively after NFKC: NA, N/A, #N/A, NaN,
    null, none, nil, 无, 空, 暂无, 不详, 未知, -, --, —, ——, / and \\N. The
    text "0" is a value, not a null marker.
    """
    if _is_null_scalar(value):
        return True
    if isinstance(value, str):
        text = _nfkc(value).strip()
        return not text or text.casefold() in _NULL_MARKERS
    return False


def clean_text(value: object) -> str | None:
    """Return the cell as NFKC text with whitespace runs collapsed to one space, or None when missing.

    NFKC turns full-width digits, letters and spaces into their ASCII forms.
    """
    if is_missing(value):
        return None
    return _WHITESPACE_RUN.sub(" ", _nfkc(str(value))).strip()


def _original(value: object) -> str:
    return "" if _is_null_scalar(value) else str(value)


def _is_number_cell(value: object) -> bool:
    """Return whether the cell went through a spreadsheet number: a float, or text like 6.22202E+18."""
    if isinstance(value, float):
        return True
    if isinstance(value, str):
        text = _nfkc(value).strip()
        return bool(_SCIENTIFIC.match(text) or _FLOAT_TEXT.match(text))
    return False


def _missing(original: str) -> Normalised:
    return Normalised(original=original, key=None, linkable=False, flags=())


def _unusable(original: str, problem: str, flags: Iterable[str] = ()) -> Normalised:
    return Normalised(
        original=original, key=None, linkable=False, flags=tuple(sorted(flags)), problem=problem
    )


# ---------------------------------------------------------------------------
# Phone numbers

# An extension written after the number: 转808, 分机 808, ext. 808, x808, #808.
_PHONE_EXTENSION = re.compile(
    r"^(?P<number>.*?)\s*(?:转|分机|ext\.?|x|#)\s*(?P<extension>\d+)\s*$", re.IGNORECASE
)
_PHONE_LOCAL_PREFIX = "local:"
# Repeated-digit numbers at least this long are placeholders (0000000, 88888888, ...).
_PLACEHOLDER_MIN_REPEATED = 7
# Local subscriber numbers in China have at most 8 digits and never start with 1.
_CN_LOCAL_MIN_DIGITS = 7
_CN_LOCAL_MAX_DIGITS = 8


def _digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def _national_digits(number_text: str) -> str:
    """Return the digits of a phone number without a leading +86, 0086 or 86 country code."""
    digits = _digits(number_text)
    if number_text.lstrip().startswith("+") and digits.startswith("86"):
        return digits[2:]
    if digits.startswith("0086"):
        return digits[4:]
    # 86 without + or 00 is read as a country code only in front of an 11-digit mobile.
    if digits.startswith("861") and len(digits) == 13:
        return digits[2:]
    return digits


def _is_placeholder(digits: str, denylist: Iterable[str]) -> bool:
    if len(digits) >= _PLACEHOLDER_MIN_REPEATED and len(set(digits)) == 1:
        return True
    return digits in {_national_digits(entry) for entry in denylist}


def _is_local_only(number: phonenumbers.PhoneNumber, default_region: str) -> bool:
    """Return whether a number read without country code lacks its area code."""
    if number.country_code_source != phonenumbers.CountryCodeSource.FROM_DEFAULT_COUNTRY:
        return False
    national = phonenumbers.national_significant_number(number)
    if default_region.upper() == "CN":
        # A Chinese landline's subscriber number has 7 or 8 digits and does not
        # start with 0 or 1. phonenumbers 9.0 calls such numbers possible full
        # numbers, and calls 5 and 6 digits local-only, but those are service
        # codes or cut-off numbers, not landlines.
        return _CN_LOCAL_MIN_DIGITS <= len(national) <= _CN_LOCAL_MAX_DIGITS and not national.startswith(("0", "1"))
    reason = phonenumbers.is_possible_number_with_reason(number)
    return reason == phonenumbers.ValidationResult.IS_POSSIBLE_LOCAL_ONLY


def normalise_phone(
    value: object,
    default_region: str = "CN",
    denylist: Iterable[str] = DEFAULT_PHONE_DENYLIST,
) -> Normalised:
    """Normalise a phone cell to an E.164 link key, with the extension kept apart.

    Rules, applied in order:

    1. A missing cell gives no key. A float written in scientific notation gives
       the problem ``number_cell``. A whole float such as 13912345678.0 is read as
       its integer.
    2. An extension after 转, 分机, ext, ext., x or # goes to ``extension``.
    3. A placeholder is a number whose national digits are in ``denylist`` or
       are one digit repeated 7 or more times. It is flagged ``placeholder`` and
       stays linkable, so that the hub rules can report it. Its key is the E.164
       form when phonenumbers can parse it, else the digits.
    4. A number without country code and without area code gets the key
       ``local:<digits>``, is not linkable and is flagged ``no_area_code``. That is
       a number phonenumbers calls IS_POSSIBLE_LOCAL_ONLY and, for region CN, any
       national number of 8 digits or fewer that does not start with 1.
    5. A valid number is linkable. A possible but invalid number is linkable and
       flagged ``invalid_number``. Anything else gives the problem ``invalid_phone``.
    """
    original = _original(value)
    if is_missing(value):
        return _missing(original)
    if isinstance(value, float):
        if not value.is_integer():
            return _unusable(original, "invalid_phone")
        value = int(value)
    if _is_number_cell(value):
        return _unusable(original, "number_cell")

    text = _nfkc(str(value)).strip()
    extension: str | None = None
    match = _PHONE_EXTENSION.match(text)
    if match and _digits(match["number"]):
        text, extension = match["number"], match["extension"]

    try:
        number: phonenumbers.PhoneNumber | None = phonenumbers.parse(
            text, default_region, keep_raw_input=True
        )
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and extension is None and number.extension:
        extension = number.extension

    national = _national_digits(text)
    if _is_placeholder(national, denylist):
        key = (
            phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            if number is not None
            else national
        )
        return Normalised(original, key, True, ("placeholder",), extension=extension)

    if number is None:
        return _unusable(original, "invalid_phone")
    if _is_local_only(number, default_region):
        key = _PHONE_LOCAL_PREFIX + phonenumbers.national_significant_number(number)
        return Normalised(original, key, False, ("no_area_code",), extension=extension)

    key = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if phonenumbers.is_valid_number(number):
        return Normalised(original, key, True, (), extension=extension)
    # Only a possible full number links; a local-only length (5 or 6 digits in
    # China) is a service code or a cut-off number.
    if phonenumbers.is_possible_number_with_reason(number) == phonenumbers.ValidationResult.IS_POSSIBLE:
        return Normalised(original, key, True, ("invalid_number",), extension=extension)
    return _unusable(original, "invalid_phone")


# ---------------------------------------------------------------------------
# Bank accounts

_BANK_ACCOUNT = re.compile(r"^\d{8,30}$")


def normalise_bank_account(value: object) -> Normalised:
    """Normalise a bank account cell to its digits.

    Spaces and hyphens are removed, and 8 to 30 digits make the key. The value is
    never read through a float, so a 19-digit card number keeps every digit. A
    float cell or scientific-notation text such as ``6.22202E+18`` gives the
    problem ``number_cell``, because the spreadsheet has already lost digits.
    """
    original = _original(value)
    if is_missing(value):
        return _missing(original)
    if _is_number_cell(value):
        return _unusable(original, "number_cell")

    digits = re.sub(r"[\s-]", "", _nfkc(str(value)))
    if not _BANK_ACCOUNT.match(digits):
        return _unusable(original, "invalid_bank_account")
    return Normalised(original, digits, True, ())


# ---------------------------------------------------------------------------
# ID document numbers

_RESIDENT_ID_18 = re.compile(r"^\d{17}[\dX]$")
_RESIDENT_ID_15 = re.compile(r"^\d{15}$")
_EARLIEST_BIRTH_DATE = date(1900, 1, 1)


def _upgrade_resident_id_15(number: str) -> str:
    """Convert a legacy 15-digit resident ID to 18 characters (century 19 and a check character)."""
    body = number[:6] + "19" + number[6:]
    # calc_check_digit expects the number with its check character, so a dummy one is appended.
    return body + ric.calc_check_digit(body + "0")


def _birth_date_or_none(number: str) -> date | None:
    try:
        birth = ric.get_birth_date(number)
    except (ValidationError, ValueError):
        return None
    if not _EARLIEST_BIRTH_DATE <= birth <= date.today():
        return None
    return birth


def _normalise_resident_id(value: object, original: str) -> Normalised:
    if _is_number_cell(value):
        return _unusable(original, "id_truncated")

    number = re.sub(r"[\s-]", "", _nfkc(str(value)))
    flags: list[str] = []
    if number.endswith("x"):
        flags.append("lowercase_x")
    number = ric.compact(number)
    if _RESIDENT_ID_15.match(number):
        number = _upgrade_resident_id_15(number)
        flags.append("upgraded_15")
    if not _RESIDENT_ID_18.match(number):
        return _unusable(original, "id_format", flags)

    if number[-1] != ric.calc_check_digit(number):
        if number.endswith("000"):
            return _unusable(original, "id_truncated", flags)
        return Normalised(original, number, False, tuple(sorted(flags)), problem="id_checksum")
    if _birth_date_or_none(number) is None:
        return _unusable(original, "id_birth_date", flags)
    if not _is_region_in_use(number):
        flags.append("id_unknown_region")
    return Normalised(original, number, True, tuple(sorted(flags)))


def _is_region_in_use(number: str) -> bool:
    """Return whether the ID's 6-digit region code was in use in or after the birth year.

    python-stdnum's ``get_birth_place`` also rejects a code created after the
    birth year, but an ID takes the region code of where it was issued, often
    years after birth, so only codes unknown to its table, or retired before
    the birth year, count as unknown here.
    """
    entries = numdb.get("cn/loc").info(number[:6])
    counties = {k: v for _, props in entries for k, v in props.items()}.get("county")
    if not counties:
        return False
    birth_year = int(number[6:10])
    for county in counties.split(","):
        if not county.startswith("["):
            return True
        period = county[1:].split("]", 1)[0]
        end = period.split("-", 1)[1] if "-" in period else ""
        if not end or int(end) >= birth_year:
            return True
    return False


def normalise_id_number(value: object, id_type: object = "resident_id") -> Normalised:
    """Normalise an ID document number; resident IDs are checked against GB 11643-1999.

    ``id_type`` is a canonical code or any spelling :func:`parse_id_type`
    accepts; a missing ``id_type`` means a resident ID.

    For a resident ID, spaces and hyphens are removed and a lowercase x is
    upper-cased (flag ``lowercase_x``). A legacy 15-digit number is converted to
    18 characters (flag ``upgraded_15``). Problems are checked in this order:

    1. ``id_truncated``: a float or scientific-notation cell.
    2. ``id_format``: a wrong length or character.
    3. ``id_truncated``: a wrong check character on a number ending in 000.
    4. ``id_checksum``: any other wrong check character.
    5. ``id_birth_date``: a birth date that does not exist, is before 1900 or
       is after today.

    A region code that python-stdnum does not know is only flagged
    ``id_unknown_region``.

    Other document types get the upper-cased number without spaces and hyphens
    as key, with no format check. A float cell gives the problem ``number_cell``.

    Raises:
        ValueError: ``id_type`` is not a known document type.
    """
    kind = "resident_id" if is_missing(id_type) else parse_id_type(id_type)
    original = _original(value)
    if is_missing(value):
        return _missing(original)
    if kind == "resident_id":
        return _normalise_resident_id(value, original)
    if _is_number_cell(value):
        return _unusable(original, "number_cell")
    return Normalised(original, re.sub(r"[\s-]", "", _nfkc(str(value))).upper(), True, ())


def id_birth_date(key: str | None) -> date | None:
    """Return the birth date encoded in an 18-character resident ID, or None when it has none."""
    if key is None or not _RESIDENT_ID_18.match(key):
        return None
    return _birth_date_or_none(key)


def id_gender(key: str | None) -> Gender | None:
    """Return the gender encoded in an 18-character resident ID: an odd 17th digit is male."""
    if key is None or not _RESIDENT_ID_18.match(key):
        return None
    return "M" if int(key[16]) % 2 else "F"


# ---------------------------------------------------------------------------
# Addresses

_CJK = r"[\u4e00-\u9fff]"
# A space is kept only between two ASCII characters, as in "Room 101".
_ADDRESS_SPACE = re.compile(r"(?<=[^\x00-\x7f]) | (?=[^\x00-\x7f])")
_MUNICIPALITY = re.compile(r"^(?:北京市|上海市|天津市|重庆市)")
_PROVINCE = re.compile(rf"^(?:{_CJK}{{2,3}}省|{_CJK}{{2,7}}?自治区|{_CJK}{{2}}特别行政区)")
_CITY = re.compile(rf"^{_CJK}{{1,9}}?(?:自治州|地区|盟|市)")
_DISTRICT = re.compile(rf"^{_CJK}{{1,9}}?(?:区|县|旗|市)")
# Characters of street-level names: a match containing one is a street, not a region.
_STREET_CHARACTERS = frozenset("路街巷弄村号")
# Area names ending in 区 that are below district level.
_NON_DISTRICT_ENDINGS = ("小区", "社区", "校区", "园区", "厂区", "街区")


def _clean_address(text: str) -> str:
    collapsed = _WHITESPACE_RUN.sub(" ", _nfkc(text)).strip()
    return _ADDRESS_SPACE.sub("", collapsed)


def _match_region(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.match(text)
    if match is None:
        return None
    name = match.group()
    if _STREET_CHARACTERS.intersection(name) or name.endswith(_NON_DISTRICT_ENDINGS):
        return None
    return name


def split_address(text: str) -> tuple[str | None, str | None, str | None]:
    """Split the province, city and district off the start of a Chinese address.

    A province ends in 省, 自治区 or 特别行政区. The municipalities 北京市,
    上海市, 天津市 and 重庆市 are both province and city. A city ends in 市,
    自治州, 地区 or 盟, and a district in 区, 县, 旗 or 市 (a county-level city).
    A part that is not found is None, and parts are only looked for in that
    order from the start of the text.

    Notes:
        The split uses suffixes, not a list of place names, so it misses a
        province written without 省 (广东广州市) and can take a street-level name
        ending in 区 or 市 for a district. Names containing 路, 街, 巷, 弄, 村
        or 号, and names ending in 小区 or 社区, are not taken.
    """
    rest = _clean_address(text)
    province: str | None
    city: str | None
    municipality = _MUNICIPALITY.match(rest)
    if municipality:
        province = city = municipality.group()
        rest = rest[municipality.end() :]
    else:
        province = _match_region(_PROVINCE, rest)
        rest = rest[len(province) :] if province else rest
        city = _match_region(_CITY, rest)
        rest = rest[len(city) :] if city else rest
    district = _match_region(_DISTRICT, rest)
    return province, city, district


def normalise_address(value: object) -> Normalised:
    """Normalise an address cell: NFKC, and no whitespace except single spaces between ASCII words."""
    original = _original(value)
    if is_missing(value):
        return _missing(original)
    return Normalised(original, _clean_address(str(value)), True, ())


# ---------------------------------------------------------------------------
# Email addresses and other identifiers

_EMAIL = re.compile(r"^[a-z0-9._%+-]+@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}$")


def normalise_email(value: object) -> Normalised:
    """Normalise an email cell to lower case; it must have the form local@domain.tld."""
    original = _original(value)
    if is_missing(value):
        return _missing(original)
    email = _nfkc(str(value)).strip().lower()
    if not _EMAIL.match(email):
        return _unusable(original, "invalid_email")
    return Normalised(original, email, True, ())


def normalise_identifier(value: object) -> Normalised:
    """Normalise a generic identifier (device ID, IP address): NFKC, collapsed whitespace, casefold."""
    original = _original(value)
    text = clean_text(value)
    if text is None:
        return _missing(original)
    return Normalised(original, text.casefold(), True, ())


# ---------------------------------------------------------------------------
# Small vocabularies


def _vocabulary_key(value: object) -> str:
    # Spreadsheets store codes such as 1 and 2 as 1.0 and 2.0.
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _WHITESPACE_RUN.sub(" ", _nfkc(str(value))).strip().casefold()


@dataclass(frozen=True)
class _Vocabulary(Generic[_Term]):
    """Accepted spellings of one small vocabulary, looked up case-insensitively after NFKC."""

    name: str
    terms: Mapping[str, _Term]

    def parse(self, value: object) -> _Term | None:
        """Return the term for a cell, or None when it is missing.

        Raises:
            ValueError: the cell is not one of the accepted spellings, which the message lists.
        """
        if is_missing(value):
            return None
        key = _vocabulary_key(value)
        for spelling, term in self.terms.items():
            if spelling.casefold() == key:
                return term
        expected = ", ".join(f"{spelling} ({term})" for spelling, term in self.terms.items())
        raise ValueError(f"invalid {self.name} {value!r}; expected one of: {expected}")


_GENDERS = _Vocabulary[Gender](
    "gender",
    {
        "男": "M",
        "女": "F",
        "男性": "M",
        "女性": "F",
        "M": "M",
        "F": "F",
        "male": "M",
        "female": "F",
        "1": "M",
        "2": "F",
    },
)
_ROLES = _Vocabulary[Role](
    "role",
    {
        "投保人": "policyholder",
        "被保险人": "insured",
        "被保人": "insured",
        "受益人": "beneficiary",
        "policyholder": "policyholder",
        "insured": "insured",
        "beneficiary": "beneficiary",
    },
)
_CHANNELS = _Vocabulary[Channel](
    "sales channel",
    {
        "个险": "agency",
        "个人代理": "agency",
        "agency": "agency",
        "银保": "bancassurance",
        "银行代理": "bancassurance",
        "bancassurance": "bancassurance",
        "中介": "intermediary",
        "经代": "intermediary",
        "专业代理": "intermediary",
        "intermediary": "intermediary",
    },
)
_AGENT_TYPES = _Vocabulary[AgentType](
    "agent type",
    {
        "营销员": "agent",
        "业务员": "agent",
        "agent": "agent",
        "银保专管员": "bancassurance_specialist",
        "bancassurance_specialist": "bancassurance_specialist",
        "代理机构": "agency",
        "agency": "agency",
    },
)
_CONTACT_TYPES = _Vocabulary[ContactType](
    "contact type",
    {
        "亲属": "relative",
        "relative": "relative",
        "机构办公": "agency_office",
        "agency_office": "agency_office",
        "机构员工": "agency_staff",
        "agency_staff": "agency_staff",
    },
)
_ID_TYPES = _Vocabulary[IdType](
    "ID document type",
    {
        "身份证": "resident_id",
        "居民身份证": "resident_id",
        "resident_id": "resident_id",
        "护照": "passport",
        "passport": "passport",
        "港澳居民来往内地通行证": "hk_macau_permit",
        "回乡证": "hk_macau_permit",
        "hk_macau_permit": "hk_macau_permit",
        "台湾居民来往大陆通行证": "taiwan_permit",
        "台胞证": "taiwan_permit",
        "taiwan_permit": "taiwan_permit",
        "外国人永久居留身份证": "foreign_permanent_residence",
        "外国人永久居留证": "foreign_permanent_residence",
        "foreign_permanent_residence": "foreign_permanent_residence",
        "其他": "other",
        "其它": "other",
        "other": "other",
    },
)
_FLAGS = _Vocabulary[bool](
    "yes/no flag",
    {
        "是": True,
        "否": False,
        "Y": True,
        "N": False,
        "yes": True,
        "no": False,
        "true": True,
        "false": False,
        "1": True,
        "0": False,
    },
)


def parse_gender(value: object) -> Gender | None:
    """Parse a gender cell: 男/女, M/F, male/female, 1 (male) or 2 (female)."""
    return _GENDERS.parse(value)


def parse_role(value: object) -> Role | None:
    """Parse a policy role: 投保人/policyholder, 被保险人/insured or 受益人/beneficiary."""
    return _ROLES.parse(value)


def parse_channel(value: object) -> Channel | None:
    """Parse a sales channel: agency (个险), bancassurance (银保) or intermediary (中介)."""
    return _CHANNELS.parse(value)


def parse_agent_type(value: object) -> AgentType | None:
    """Parse a sales staff type: agent (营销员), bancassurance specialist (银保专管员), agency (代理机构)."""
    return _AGENT_TYPES.parse(value)


def parse_contact_type(value: object) -> ContactType | None:
    """Parse an agent contact type: relative (亲属), agency office (机构办公) or agency staff (机构员工)."""
    return _CONTACT_TYPES.parse(value)


def parse_id_type(value: object) -> IdType | None:
    """Parse an ID document type, e.g. 居民身份证 to resident_id or 台胞证 to taiwan_permit."""
    return _ID_TYPES.parse(value)


def parse_flag(value: object) -> bool | None:
    """Parse a yes/no cell: 是/否, Y/N, yes/no, true/false or 1/0."""
    return _FLAGS.parse(value)


# Excel's day 0. Serial numbers below 61 are one day off because Excel counts a
# 29 February 1900 that did not exist.
_EXCEL_EPOCH = date(1899, 12, 30)
# Serial numbers from 1 up to this limit (exclusive) are dates up to the year 2119.
_EXCEL_SERIAL_LIMIT = 80_001
_DATE_FORMS = "YYYY-MM-DD, YYYY/M/D, YYYY.M.D, YYYYMMDD, YYYY年M月D日 or an Excel date serial number"
_DATE_PATTERNS = (
    # An optional time part, as in "2024-03-01 00:00:00", is ignored.
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日$"),
)


def _parse_date_number(number: float, value: object) -> date:
    if 1 <= number < _EXCEL_SERIAL_LIMIT:
        return _EXCEL_EPOCH + timedelta(days=int(number))
    if number.is_integer():
        return _parse_date_text(str(int(number)), value)
    raise ValueError(f"invalid date {value!r}; expected {_DATE_FORMS}")


def _parse_date_text(text: str, value: object) -> date:
    for pattern in _DATE_PATTERNS:
        match = pattern.match(text)
        if match is None:
            continue
        year, month, day = (int(part) for part in match.groups())
        try:
            return date(year, month, day)
        except ValueError as error:
            raise ValueError(f"invalid date {value!r}: {error}; expected {_DATE_FORMS}") from None
    raise ValueError(f"invalid date {value!r}; expected {_DATE_FORMS}")


def parse_date(value: object) -> date | None:
    """Parse a date cell in the ISO, slash, compact or Chinese form, a datetime, or an Excel serial.

    An int or float from 1 to 80000 is an Excel serial number (day 1 is
    1900-01-01); a larger whole number is read as YYYYMMDD. Returns None for a
    missing cell.

    Raises:
        ValueError: the cell matches no accepted form, or its date does not exist.
    """
    if is_missing(value):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return _parse_date_number(float(value), value)
    text = clean_text(value)
    return _parse_date_text(text or "", value)
