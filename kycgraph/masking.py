"""Mask personal data for logs, error messages and roles that may not see it in full.

Every function keeps a few characters that help a person recognise the value
(the mobile prefix, the last digits, the region of an address) and replaces
the rest with ``*``. No function returns the full value of a value longer
than 4 characters. Values of 4 characters or fewer are masked completely,
except names, which keep their first character (张*).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import phonenumbers

from loaders.normalise import normalise_address, split_address

_STAR = "*"
_GAP = "****"
# Values this short or shorter are masked completely.
_SHORT_VALUE = 4
# Address prefix shown at most: enough for a province and city (广东省广州市).
_ADDRESS_PREFIX_MAX = 6
# Phone numbers with at least this many national digits show their first 3 and last 4.
_FULL_PHONE_DIGITS = 10


def _mask_all(value: str) -> str:
    return _STAR * len(value)


def _keep_ends(value: str, head: int, tail: int) -> str:
    """Keep ``head`` leading and ``tail`` trailing characters, and star the rest.

    For a value too short to hide at least half of it, the ends shrink to one
    character each, and a value of 4 characters or fewer is starred completely.
    """
    if len(value) <= _SHORT_VALUE:
        return _mask_all(value)
    if head + tail > len(value) // 2:
        head = tail = 1
    return value[:head] + _STAR * (len(value) - head - tail) + value[len(value) - tail :]


def mask_generic(value: str) -> str:
    """Mask any value: keep the first 2 and last 2 characters when it is long enough (8 or more)."""
    return _keep_ends(value, 2, 2)


def mask_phone(value: str) -> str:
    """Mask a phone number or phone key: ``+8613812348000`` becomes ``138****8000``.

    The national digits are used, without country code. Numbers of 10 or more
    national digits keep their first 3 and last 4. Shorter numbers, such as a
    ``local:81234567`` key, keep only their last 2.
    """
    text = value.removeprefix("local:")
    try:
        digits = phonenumbers.national_significant_number(phonenumbers.parse(text, "CN"))
    except phonenumbers.NumberParseException:
        digits = re.sub(r"\D", "", text)
    if not digits:
        return mask_generic(value)
    if len(digits) >= _FULL_PHONE_DIGITS:
        return digits[:3] + _GAP + digits[-4:]
    if len(digits) <= _SHORT_VALUE:
        return _GAP
    return _GAP + digits[-2:]


def mask_account(value: str) -> str:
    """Mask a bank account, keeping the first 4 and last 4 digits: ``6222 **** **** *** 0123``.

    The starred middle is grouped by 4 so the length stays visible, as on a
    bank card. Accounts shorter than 12 digits keep only their last 4 (or
    fewer, so that at least half is hidden).
    """
    digits = re.sub(r"[\s-]", "", value)
    if len(digits) <= _SHORT_VALUE:
        return _mask_all(digits)
    if len(digits) < 12:
        tail = min(4, len(digits) // 2)
        return _GAP + " " + digits[-tail:]
    middle = len(digits) - 8
    groups = [_GAP] * (middle // 4) + ([_STAR * (middle % 4)] if middle % 4 else [])
    return " ".join([digits[:4], *groups, digits[-4:]])


def mask_id_number(value: str) -> str:
    """Mask an ID document number: ``31010419851123124X`` becomes ``310104********124X``.

    Resident IDs (15 or 18 characters) keep the 6-digit region code and the last
    4. Shorter numbers, such as passports, are masked like any other value.
    """
    number = re.sub(r"\s", "", value).upper()
    if len(number) >= 15:
        return number[:6] + _STAR * (len(number) - 10) + number[-4:]
    return mask_generic(number)


def mask_email(value: str) -> str:
    """Mask an email address, keeping the first character and the domain: ``z***@example.com``."""
    local, separator, domain = value.strip().rpartition("@")
    if not separator or not local or not domain:
        return mask_generic(value)
    return local[0] + "***@" + domain


def mask_address(value: str) -> str:
    """Mask an address after its province, city and district, showing at most 6 characters.

    Whole region names are kept while they fit in 6 characters, so
    ``广东省广州市天河区体育西路1号`` becomes ``广东省广州市****``. An address
    whose region is not recognised keeps its first third, up to 3 characters.
    """
    text = normalise_address(value).key or ""
    if len(text) <= _SHORT_VALUE:
        return _mask_all(text)
    parts = [part for part in dict.fromkeys(split_address(text)) if part]
    prefix = ""
    for part in parts:
        if len(prefix) + len(part) > _ADDRESS_PREFIX_MAX:
            break
        prefix += part
    if not prefix:
        # No region found, or the first region name alone is too long (新疆维吾尔自治区).
        prefix = parts[0][:_ADDRESS_PREFIX_MAX] if parts else text[: min(3, len(text) // 3)]
    # Keep at least 2 characters hidden, so a short address that is all region is not shown whole.
    prefix = prefix[: len(text) - 2]
    return prefix + _GAP


def mask_name(value: str) -> str:
    """Mask a person's name, keeping the first character: ``张三丰`` becomes ``张**``."""
    name = value.strip()
    if len(name) <= 1:
        return _mask_all(name)
    return name[0] + _STAR * (len(name) - 1)


_MASKERS: dict[str, Callable[[str], str]] = {
    "phone": mask_phone,
    "bank_account": mask_account,
    "id_number": mask_id_number,
    "email": mask_email,
    "address": mask_address,
    "name": mask_name,
}


def mask_value(kind: str, value: str) -> str:
    """Mask a value of the given identifier kind; unknown kinds keep their first 2 and last 2."""
    return _MASKERS.get(kind, mask_generic)(value)
