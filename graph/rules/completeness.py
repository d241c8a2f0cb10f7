"""Key-field completeness of policyholders and insureds, which blocks underwriting when it fails."""

from __future__ import annotations

import logging
from collections.abc import Hashable
from datetime import date
from typing import Any

from graph.rules.findings import Finding, date_or_none, is_true, make_finding, text_or_none
from graph.store import GraphStore

logger = logging.getLogger(__name__)

RULE_CODE = "incomplete_key_fields"

# Age from which an insured must have an ID number.
ADULT_AGE = 18

# Key fields by role, in the order a message lists them.
REQUIRED_FIELDS: dict[str, tuple[str, ...]] = {
    "policyholder": ("name", "gender", "birth_date", "id_number", "address", "phone"),
    "insured": ("name", "gender", "birth_date", "id_number"),
}

FIELD_NAMES: dict[str, tuple[str, str]] = {
    "name": ("姓名", "name"),
    "gender": ("性别", "gender"),
    "birth_date": ("出生日期", "birth date"),
    "id_number": ("证件号码", "ID number"),
    "address": ("联系地址", "contact address"),
    "phone": ("联系电话", "phone"),
}
ROLE_NAMES: dict[str, tuple[str, str]] = {
    "policyholder": ("投保人", "Policyholder"),
    "insured": ("被保险人", "Insured"),
}


def age_on(birth_date: date, on: date) -> int:
    """Return the age in whole years on a date; the birthday itself counts as the new age.

    Someone born on 29 February turns a year older on 1 March in years
    without 29 February.
    """
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - int(before_birthday)


def incomplete_key_fields(store: GraphStore) -> list[Finding]:
    """Return one finding per (customer, policy, role) whose key fields are incomplete.

    Rule: the policyholder of a policy needs a name, gender, birth date, ID
    number, contact address and phone. The insured needs a name, gender,
    birth date and ID number, but the ID number may be missing when the
    insured is under 18 on the policy's application date. The age is
    computed from the recorded birth date on the application date, so an
    insured whose 18th birthday is the application date is 18 and needs an
    ID number. A customer who is both policyholder and insured of a
    policy is checked once per role. Beneficiaries are not checked.

    A field counts as missing when nothing usable is on record: an ID number
    that was recorded but is invalid is not missing (the resident-ID rule
    reports it), while a phone or address that the loader rejected as
    unrecognisable is missing, because no value reached the graph.

    Returns:
        High-severity findings with code ``incomplete_key_fields``; the
        evidence lists the missing fields in the order of ``REQUIRED_FIELDS``.

    Notes:
        When the insured's birth date or the application date is missing,
        the insured's age is unknown, the exemption does not apply and a
        missing ID number is listed; the evidence records the age as None.
    """
    parties = store.policy_parties()
    findings: list[Finding] = []
    for row in parties.to_dict("records"):
        role = str(row["role"])
        if role not in REQUIRED_FIELDS:
            continue
        present = {
            "name": text_or_none(row["name"]) is not None,
            "gender": text_or_none(row["gender"]) is not None,
            "birth_date": date_or_none(row["birth_date"]) is not None,
            "id_number": text_or_none(row["id_number"]) is not None or text_or_none(row["id_problem"]) is not None,
            "address": is_true(row["has_address"]),
            "phone": is_true(row["has_phone"]),
        }
        missing = [name for name in REQUIRED_FIELDS[role] if not present[name]]
        birth_date = date_or_none(row["birth_date"])
        application_date = date_or_none(row["application_date"])
        age = age_on(birth_date, application_date) if birth_date and application_date else None
        if role == "insured" and "id_number" in missing and age is not None and age < ADULT_AGE:
            missing.remove("id_number")
        if not missing:
            continue
        findings.append(_finding(row, role, missing, age, application_date))
    logger.info("key-field completeness: %d incomplete records", len(findings))
    return findings


def _finding(
    row: dict[Hashable, Any], role: str, missing: list[str], age: int | None, application_date: date | None
) -> Finding:
    customer_id = str(row["customer_id"])
    policy_no = str(row["policy_no"])
    role_zh, role_en = ROLE_NAMES[role]
    fields_zh = "、".join(FIELD_NAMES[name][0] for name in missing)
    fields_en = ", ".join(FIELD_NAMES[name][1] for name in missing)
    evidence: dict[str, object] = {"role": role, "missing_fields": missing}
    if role == "insured":
        evidence["application_date"] = application_date
        evidence["age_on_application_date"] = age
    return make_finding(
        RULE_CODE,
        (customer_id, policy_no, role),
        "high",
        f"保单 {policy_no} 的{role_zh}（客户号 {customer_id}）关键信息不完整，缺少：{fields_zh}；补全前不得承保",
        f"{role_en} {customer_id} of policy {policy_no} lacks key fields: {fields_en}; "
        "the policy may not be underwritten until they are filled in",
        evidence,
        customer_id=customer_id,
        policy_no=policy_no,
        agent_id=text_or_none(row["agent_id"]),
        channel=text_or_none(row["channel"]),
    )
