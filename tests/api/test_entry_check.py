"""The entry-time check of a proposal form against the live store."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Served

AGENT_ID = "4476907038"


def _check(served: Served, form: dict[str, Any], role: str = "investigator") -> dict[str, Any]:
    response = served.client.post("/v1/checks/entry", headers=served.headers(role, "en"), json=form)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def test_entry_phone_of_agent_flagged(served: Served, entry_form: dict[str, Any]) -> None:
    body = _check(served, entry_form)
    assert body["agent_match"] is True
    phone = next(i for i in body["parties"][0]["identifiers"] if i["kind"] == "phone")
    assert phone["belongs_to_agent"] is True
    assert {"owner_type": "agent", "owner_id": AGENT_ID, "agent_id": AGENT_ID, "contact_type": None} in phone["owners"]
    assert phone["value"] == "159****9670"
    codes = [p["code"] for p in body["parties"][0]["problems"]]
    assert "belongs_to_agent" in codes
    # The warning does not block: the form is complete and the resident ID valid.
    assert body["accepted"] is True
    assert body["parties"][0]["id_valid"] is True


def test_entry_full_value_for_case_system(served: Served, entry_form: dict[str, Any]) -> None:
    body = _check(served, entry_form, role="case-system")
    phone = next(i for i in body["parties"][0]["identifiers"] if i["kind"] == "phone")
    assert phone["value"] == "+8615979139670"


def test_entry_relative_phone_flagged(served: Served, entry_form: dict[str, Any]) -> None:
    entry_form["policyholder"]["phone"] = "+86 139 2350 7293"
    body = _check(served, entry_form)
    phone = next(i for i in body["parties"][0]["identifiers"] if i["kind"] == "phone")
    contacts = [o for o in phone["owners"] if o["owner_type"] == "agent_contact"]
    assert [(o["agent_id"], o["contact_type"]) for o in contacts] == [("4468317905", "relative")]


def test_entry_own_record_not_other_customer(served: Served, entry_form: dict[str, Any]) -> None:
    entry_form["policyholder"]["phone"] = "13982206610"
    body = _check(served, entry_form)
    phone = next(i for i in body["parties"][0]["identifiers"] if i["kind"] == "phone")
    assert phone["owner_count"] == 4
    assert phone["belongs_to_other_customers"] is True
    entry_form["policyholder"]["customer_id"] = "0016054216"
    phone = next(i for i in _check(served, entry_form)["parties"][0]["identifiers"] if i["kind"] == "phone")
    assert phone["owner_count"] == 3


def test_entry_placeholder_not_looked_up(served: Served, entry_form: dict[str, Any]) -> None:
    entry_form["policyholder"]["phone"] = "00000000000"
    body = _check(served, entry_form)
    phone = next(i for i in body["parties"][0]["identifiers"] if i["kind"] == "phone")
    assert phone["placeholder"] is True
    assert phone["owners"] == []
    assert phone["problem"] == "placeholder"


def test_entry_missing_fields_block(served: Served, entry_form: dict[str, Any]) -> None:
    del entry_form["policyholder"]["phone"]
    del entry_form["policyholder"]["address"]
    body = _check(served, entry_form)
    assert body["accepted"] is False
    assert body["parties"][0]["missing_fields"] == ["address", "phone"]
    assert [p["message"] for p in body["parties"][0]["problems"] if p["severity"] == "blocking"] == [
        "contact address missing", "phone missing",
    ]


def test_entry_id_mismatch_blocks(served: Served, entry_form: dict[str, Any]) -> None:
    entry_form["policyholder"]["gender"] = "女"
    entry_form["policyholder"]["birth_date"] = "1980-02-18"
    body = _check(served, entry_form)
    party = body["parties"][0]
    assert body["accepted"] is False
    assert party["id_valid"] is False
    assert {p["code"] for p in party["problems"]} >= {"id_gender_mismatch", "id_birth_date_mismatch"}


def test_entry_bad_check_character(served: Served, entry_form: dict[str, Any]) -> None:
    entry_form["policyholder"]["id_number"] = "110101198001180035"
    party = _check(served, entry_form)["parties"][0]
    assert party["id_valid"] is False
    assert [p["code"] for p in party["problems"] if p["field"] == "id_number"] == ["id_checksum"]


def test_entry_minor_insured_without_id(served: Served, entry_form: dict[str, Any]) -> None:
    entry_form["insured"] = {"name": "陈小明", "gender": "男", "birth_date": "2010-05-01"}
    body = _check(served, entry_form)
    insured = body["parties"][1]
    assert insured["role"] == "insured"
    assert insured["age_on_application_date"] == 16
    assert insured["missing_fields"] == []
    entry_form["insured"]["birth_date"] = "2008-11-30"
    insured = _check(served, entry_form)["parties"][1]
    assert insured["missing_fields"] == ["id_number"]


@pytest.mark.parametrize(("application_date", "error_type"), [
    pytest.param(0, "date_type", id="number"),
    pytest.param("1764547200", "date_parsing", id="timestamp text"),
    pytest.param("20261201", "date_parsing", id="digits only"),
    pytest.param("2026-12-01T00:00:00", "date_parsing", id="date-time at midnight"),
])
def test_entry_date_not_iso_rejected(
    served: Served, entry_form: dict[str, Any], application_date: object, error_type: str
) -> None:
    # Read as a Unix timestamp, 1764547200 would be 2025-12-01 and 0 would be 1970-01-01, giving wrong ages.
    entry_form["application_date"] = application_date
    response = served.client.post("/v1/checks/entry", headers=served.headers("investigator", "en"), json=entry_form)
    assert response.status_code == 422
    assert response.json()["errors"] == [{"loc": ["body", "application_date"], "type": error_type}]
