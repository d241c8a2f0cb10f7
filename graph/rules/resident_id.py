"""Resident-ID checks: the ID number is valid and agrees with the recorded gender and birth date."""

from __future__ import annotations

import logging
from collections.abc import Hashable
from typing import Any

from stdnum.cn import ric

from graph.rules.findings import Finding, Severity, date_or_none, make_finding, text_or_none
from graph.store import GraphStore
from kycgraph.masking import mask_value
from loaders.normalise import PROBLEMS, id_birth_date, id_gender

logger = logging.getLogger(__name__)

INVALID = "invalid_resident_id"
GENDER_MISMATCH = "id_gender_mismatch"
BIRTH_DATE_MISMATCH = "id_birth_date_mismatch"
TRUNCATED = "id_truncated_by_spreadsheet"
LOWERCASE_X = "id_lowercase_x"
UNKNOWN_REGION = "id_unknown_region"

RULE_CODES = (INVALID, GENDER_MISMATCH, BIRTH_DATE_MISMATCH, TRUNCATED, LOWERCASE_X, UNKNOWN_REGION)

SEVERITIES: dict[str, Severity] = {
    INVALID: "high",
    GENDER_MISMATCH: "high",
    BIRTH_DATE_MISMATCH: "high",
    TRUNCATED: "medium",
    LOWERCASE_X: "low",
    UNKNOWN_REGION: "warning",
}

# Loader problem codes that make a resident ID invalid.
_INVALID_PROBLEMS = ("id_format", "id_checksum", "id_birth_date")
_GENDER_NAMES = {"M": ("男", "male"), "F": ("女", "female")}


def resident_id_findings(store: GraphStore) -> list[Finding]:
    """Return the resident-ID findings of every customer whose document is a resident ID.

    Rules, by GB 11643-1999 (6-digit region code, 8-digit birth date,
    3-digit sequence whose last digit is odd for male and even for female,
    ISO 7064 MOD 11-2 check character with X for 10):

    - ``invalid_resident_id`` (high): a wrong format, a wrong check
      character, or a birth date that does not exist, is before 1900 or is
      after the day of the load. The evidence gives the loader's problem
      code and, for a wrong check character, the expected one.
    - ``id_truncated_by_spreadsheet`` (medium): the number went through a
      spreadsheet number cell (a float or ``3.10104E+17``), or has a wrong
      check character and ends in 000. The digits are lost, so nothing is
      repaired, and the message tells the user to re-export the column as text.
    - ``id_gender_mismatch`` (high): a valid ID whose 17th digit disagrees
      with the recorded gender.
    - ``id_birth_date_mismatch`` (high): a valid ID whose birth date differs
      from the recorded birth date.
    - ``id_lowercase_x`` (low): the ID was recorded with a lowercase x.
    - ``id_unknown_region`` (warning): python-stdnum does not know the
      region code; the ID may still be genuine, so it is to be checked.

    A customer gets one finding per code that applies. Gender and birth date
    are compared only with a valid ID and only when they are recorded; a
    missing ID number is the completeness rule's concern. A legacy 15-digit
    ID converted to 18 characters is checked like any other. Customers whose
    ID type is another document (passport, permits, foreigners' permanent
    residence card) are not checked; a missing ID type means a resident ID.
    """
    identities = store.customer_identities()
    findings: list[Finding] = []
    for row in identities.to_dict("records"):
        id_type = text_or_none(row["id_type"]) or "resident_id"
        if id_type != "resident_id":
            continue
        findings.extend(_check(row))
    logger.info("resident-ID checks: %d findings", len(findings))
    return findings


def _check(row: dict[Hashable, Any]) -> list[Finding]:
    customer_id = str(row["customer_id"])
    number = text_or_none(row["id_number"])
    problem = text_or_none(row["id_problem"])
    flags = set((text_or_none(row["id_flags"]) or "").split(","))
    masked = mask_value("id_number", number) if number else None
    results: list[tuple[str, str, str, dict[str, Any]]] = []

    if problem == "id_truncated":
        zh, en = PROBLEMS[problem]
        results.append((TRUNCATED, f"客户 {customer_id} 的{zh}", f"customer {customer_id}: {en}",
                        {"problem": problem}))
    elif problem in _INVALID_PROBLEMS:
        zh, en = PROBLEMS[problem]
        evidence: dict[str, Any] = {"problem": problem, "id_number": masked}
        if problem == "id_checksum" and number:
            evidence["expected_check_character"] = ric.calc_check_digit(number)
        results.append((INVALID, f"客户 {customer_id} 的{zh}", f"customer {customer_id}: {en}", evidence))
    elif number is not None and problem is None:
        results.extend(_compare(row, customer_id, number, masked))

    if "lowercase_x" in flags:
        zh, en = PROBLEMS["lowercase_x"]
        results.append((LOWERCASE_X, f"客户 {customer_id} 的{zh}；请在核心业务系统中更正",
                         f"customer {customer_id}: {en}; correct it in the core business system",
                         {"id_number": masked}))
    if "id_unknown_region" in flags:
        zh, en = PROBLEMS["id_unknown_region"]
        region = number[:6] if number else None
        results.append((UNKNOWN_REGION, f"客户 {customer_id} 的{zh}（{region}）",
                         f"customer {customer_id}: {en} ({region})", {"region_code": region}))

    return [
        make_finding(code, (customer_id,), SEVERITIES[code], zh, en, evidence, customer_id=customer_id)
        for code, zh, en, evidence in results
    ]


def _compare(
    row: dict[Hashable, Any], customer_id: str, number: str, masked: str | None
) -> list[tuple[str, str, str, dict[str, Any]]]:
    results: list[tuple[str, str, str, dict[str, Any]]] = []
    recorded_gender = text_or_none(row["gender"])
    encoded_gender = id_gender(number)
    if recorded_gender in _GENDER_NAMES and encoded_gender and recorded_gender != encoded_gender:
        recorded_zh, recorded_en = _GENDER_NAMES[recorded_gender]
        encoded_zh, encoded_en = _GENDER_NAMES[encoded_gender]
        results.append((
            GENDER_MISMATCH,
            f"客户 {customer_id} 登记性别为{recorded_zh}，但身份证号码 {masked} 对应性别为{encoded_zh}；请核实后更正",
            f"customer {customer_id} is recorded as {recorded_en} but resident ID {masked} encodes "
            f"{encoded_en}; check and correct the record",
            {"id_number": masked, "recorded_gender": recorded_gender, "id_gender": encoded_gender},
        ))
    recorded_birth = date_or_none(row["birth_date"])
    encoded_birth = id_birth_date(number)
    if recorded_birth and encoded_birth and recorded_birth != encoded_birth:
        results.append((
            BIRTH_DATE_MISMATCH,
            f"客户 {customer_id} 登记出生日期为 {recorded_birth.isoformat()}，但身份证号码 {masked} "
            f"对应 {encoded_birth.isoformat()}；请核实后更正",
            f"customer {customer_id} is recorded as born on {recorded_birth.isoformat()} but resident ID "
            f"{masked} encodes {encoded_birth.isoformat()}; check and correct the record",
            {"id_number": masked, "recorded_birth_date": recorded_birth, "id_birth_date": encoded_birth},
        ))
    return results
