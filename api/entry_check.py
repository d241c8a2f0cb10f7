"""The entry-time check of a proposal form: completeness, the resident-ID check and who else has its details.

The checks are the batch rules' own, applied to one form before it is
accepted:

- Key-field completeness (``graph.rules.completeness``): the policyholder
  needs name, gender, birth date, ID number, contact address and phone; the
  insured needs name, gender, birth date and ID number, except an insured
  under 18 on the application date, who may have no ID number.
- The resident-ID check (``loaders.normalise`` and GB 11643-1999): format,
  check character, birth date, and agreement with the entered gender and
  birth date. Other document types are not checked as resident IDs.
- Ownership: the phone, bank account and contact address are normalised as
  the loader does and looked up in the live graph store, so the response
  says whether another customer, an agent or an agent's registered contact
  already has them.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from api.schemas import EntryCheckIn, PartyIn
from graph.rules.completeness import ADULT_AGE, FIELD_NAMES, REQUIRED_FIELDS, age_on
from graph.store import GraphStore
from kycgraph.i18n import Lang
from kycgraph.masking import mask_value
from kycgraph.settings import Settings
from loaders import normalise

logger = logging.getLogger(__name__)

# Owners listed per identifier at most; a value on more records is a hub value, and the count says so.
MAX_OWNERS_LISTED = 50

_INVALID_ID_PROBLEMS = ("id_format", "id_checksum", "id_birth_date", "id_truncated", "number_cell")
_OWN_MESSAGES: dict[str, tuple[str, str]] = {
    "invalid_gender": ("性别无法识别，应为 男 或 女", "gender not recognised; expected 男 or 女 (M or F)"),
    "invalid_birth_date": ("出生日期无法识别，应为 YYYY-MM-DD", "birth date not recognised; expected YYYY-MM-DD"),
    "invalid_id_type": ("证件类型无法识别", "ID type not recognised"),
    "id_gender_mismatch": ("性别与身份证号码不符", "gender disagrees with the resident ID"),
    "id_birth_date_mismatch": ("出生日期与身份证号码不符", "birth date disagrees with the resident ID"),
    "belongs_to_agent": (
        "该信息已登记为营销员或其登记联系人所有，疑似业务员代填",
        "already recorded for an agent or an agent's registered contact; possibly agent-substituted details",
    ),
    "belongs_to_other_customers": (
        "该信息已登记在其他客户名下",
        "already recorded for other customers",
    ),
}


def _message(code: str, lang: Lang) -> str:
    zh, en = _OWN_MESSAGES.get(code) or normalise.PROBLEMS.get(code) or (code, code)
    return zh if lang == "zh" else en


def _problem(code: str, severity: str, lang: Lang, field: str | None = None) -> dict[str, str | None]:
    return {"code": code, "severity": severity, "field": field, "message": _message(code, lang)}


def check_entry(
    form: EntryCheckIn, store: GraphStore, settings: Settings, *, full: bool, lang: Lang
) -> tuple[dict[str, Any], list[str]]:
    """Check a proposal form and return the response body and the record ids it reveals (for the audit log).

    Raises:
        StoreUnavailableError: the store cannot be reached for the ownership lookups.
    """
    application_date = form.application_date or date.today()
    parties: list[tuple[str, PartyIn]] = [("policyholder", form.policyholder)]
    if form.insured is not None:
        parties.append(("insured", form.insured))

    results = [_check_party(role, party, application_date, store, settings, full, lang) for role, party in parties]
    blocking = any(p["problems"] and any(x["severity"] == "blocking" for x in p["problems"]) for p in results)
    identifiers = [i for p in results for i in p["identifiers"]]
    revealed = sorted({owner["owner_id"] for i in identifiers for owner in i["owners"]})
    body = {
        "accepted": not blocking,
        "agent_match": any(i["belongs_to_agent"] for i in identifiers),
        "shared_with_other_customers": any(i["belongs_to_other_customers"] for i in identifiers),
        "parties": results,
    }
    return body, revealed


def _check_party(
    role: str, party: PartyIn, application_date: date, store: GraphStore, settings: Settings, full: bool,
    lang: Lang,
) -> dict[str, Any]:
    problems: list[dict[str, str | None]] = []

    # 1. Gender, birth date and ID type as the loader reads them.
    gender = _parsed(normalise.parse_gender, party.gender, "invalid_gender", "gender", problems, lang)
    birth_date = _parsed(normalise.parse_date, party.birth_date, "invalid_birth_date", "birth_date", problems, lang)
    id_type = _parsed(normalise.parse_id_type, party.id_type, "invalid_id_type", "id_type", problems, lang)
    id_type = id_type or "resident_id"

    # 2. The resident-ID check.
    id_valid: bool | None = None
    if not normalise.is_missing(party.id_number) and id_type == "resident_id":
        checked = normalise.normalise_id_number(party.id_number, id_type)
        id_valid = checked.problem is None
        if checked.problem is not None:
            severity = "blocking" if checked.problem in _INVALID_ID_PROBLEMS else "warning"
            problems.append(_problem(checked.problem, severity, lang, "id_number"))
        for flag in checked.flags:
            problems.append(_problem(flag, "warning", lang, "id_number"))
        if id_valid:
            encoded_gender = normalise.id_gender(checked.key)
            encoded_birth = normalise.id_birth_date(checked.key)
            if gender is not None and encoded_gender is not None and gender != encoded_gender:
                id_valid = False
                problems.append(_problem("id_gender_mismatch", "blocking", lang, "gender"))
            if birth_date is not None and encoded_birth is not None and birth_date != encoded_birth:
                id_valid = False
                problems.append(_problem("id_birth_date_mismatch", "blocking", lang, "birth_date"))

    # 3. Identifiers and who else has them.
    identifiers = [
        _check_identifier(kind, value, party, store, settings, full)
        for kind, value in (("phone", party.phone), ("bank_account", party.bank_account), ("address", party.address))
        if not normalise.is_missing(value)
    ]
    for identifier in identifiers:
        kind = identifier["kind"]
        if identifier["problem"] is not None:
            problems.append(_problem(identifier["problem"], "warning", lang, kind))
        if identifier["belongs_to_agent"]:
            problems.append(_problem("belongs_to_agent", "warning", lang, kind))
        if identifier["belongs_to_other_customers"]:
            problems.append(_problem("belongs_to_other_customers", "warning", lang, kind))

    # 4. Completeness: an entered but invalid ID number is present (step 2 reports it);
    #    a phone or address that cannot be read is missing.
    usable = {i["kind"] for i in identifiers if i["value"] is not None}
    present = {
        "name": not normalise.is_missing(party.name),
        "gender": gender is not None,
        "birth_date": birth_date is not None,
        "id_number": not normalise.is_missing(party.id_number),
        "address": "address" in usable,
        "phone": "phone" in usable,
    }
    missing = [name for name in REQUIRED_FIELDS[role] if not present[name]]
    age = age_on(birth_date, application_date) if birth_date is not None else None
    if role == "insured" and "id_number" in missing and age is not None and age < ADULT_AGE:
        missing.remove("id_number")
    for name in missing:
        zh, en = FIELD_NAMES[name]
        problems.append({"code": f"missing_{name}", "severity": "blocking", "field": name,
                         "message": f"缺少{zh}" if lang == "zh" else f"{en} missing"})

    return {
        "role": role,
        "complete": not missing,
        "missing_fields": missing,
        "age_on_application_date": age,
        "id_valid": id_valid,
        "problems": problems,
        "identifiers": identifiers,
    }


def _parsed(
    parse: Any, value: str | None, code: str, field: str, problems: list[dict[str, str | None]], lang: Lang
) -> Any:
    if normalise.is_missing(value):
        return None
    try:
        return parse(value)
    except ValueError:
        problems.append(_problem(code, "blocking", lang, field))
        return None


def _check_identifier(
    kind: str, value: str | None, party: PartyIn, store: GraphStore, settings: Settings, full: bool
) -> dict[str, Any]:
    if kind == "phone":
        result = normalise.normalise_phone(value, settings.default_region, settings.phone_denylist)
    elif kind == "bank_account":
        result = normalise.normalise_bank_account(value)
    else:
        result = normalise.normalise_address(value)
    placeholder = "placeholder" in result.flags
    owners: list[dict[str, Any]] = []
    # Placeholders and values that cannot be compared join no one, so they are not looked up.
    if result.key is not None and result.linkable and not placeholder:
        owners = [
            {"owner_type": row.owner_type, "owner_id": row.owner_id,
             "agent_id": row.agent_id, "contact_type": row.contact_type}
            for row in store.identifier_owners(kind, result.key)
            # The applicant's own customer record does not count as someone else's.
            if not (row.owner_type == "customer" and party.customer_id and row.owner_id == party.customer_id)
        ]
    shown_value = result.key
    if shown_value is not None and not full:
        shown_value = mask_value(kind, shown_value)
    return {
        "kind": kind,
        "value": shown_value,
        "problem": result.problem or ("placeholder" if placeholder else None),
        "linkable": result.linkable,
        "placeholder": placeholder,
        "owner_count": len(owners),
        "owners": owners[:MAX_OWNERS_LISTED],
        "belongs_to_agent": any(o["owner_type"] in ("agent", "agent_contact") for o in owners),
        "belongs_to_other_customers": any(o["owner_type"] == "customer" for o in owners),
    }
