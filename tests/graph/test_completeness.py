"""Key-field completeness, run on every store through the ``store`` fixture."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from graph.rules.completeness import age_on, incomplete_key_fields
from graph.store import GraphStore

LoadTables = Callable[[dict[str, list[str]]], GraphStore]

# A complete adult policyholder, and the prefix of a policy row sold by A1 in the agency channel.
HOLDER = "C1,王伟,男,1985-11-23,居民身份证,310104198511231258,13912345678,广东省广州市天河区体育西路1号,"
AGENT = "A1,李娜,营销员,,,,,"


def own_policy(customer: str) -> dict[str, list[str]]:
    """Return a policy P1 on which ``customer`` (a customers row) is policyholder and insured."""
    customer_id = customer.split(",")[0]
    return {
        "customers": [customer],
        "agents": [AGENT],
        "policies": ["P1,安康定期寿险,2026-03-16,2026-03-20,A1,个险,,,"],
        "policy_roles": [f"P1,{customer_id},投保人", f"P1,{customer_id},被保险人"],
    }


def child_policy(birth_date: str, application_date: str) -> dict[str, list[str]]:
    """Return a policy P1 by policyholder C1 on a child C2 whose ID number is missing."""
    return {
        "customers": [HOLDER, f"C2,王小明,男,{birth_date},,,,,"],
        "agents": [AGENT],
        "policies": [f"P1,安康定期寿险,{application_date},,A1,个险,,,"],
        "policy_roles": ["P1,C1,投保人", "P1,C2,被保险人"],
    }


def test_completeness_complete_policyholder_has_no_finding(load_tables: LoadTables) -> None:
    store = load_tables(own_policy(HOLDER))
    assert incomplete_key_fields(store) == []


def test_completeness_policyholder_without_phone_and_address(load_tables: LoadTables) -> None:
    store = load_tables(own_policy("C1,王伟,男,1985-11-23,居民身份证,310104198511231258,,,"))
    findings = incomplete_key_fields(store)
    assert [(f.customer_id, f.policy_no, f.evidence["role"]) for f in findings] == [("C1", "P1", "policyholder")]
    assert findings[0].evidence["missing_fields"] == ["address", "phone"]
    assert findings[0].severity == "high"
    assert findings[0].agent_id == "A1"
    assert findings[0].channel == "agency"
    assert "联系地址、联系电话" in findings[0].message_zh
    assert "contact address, phone" in findings[0].message_en


def test_completeness_one_finding_per_role(load_tables: LoadTables) -> None:
    store = load_tables(own_policy("C1,王伟,,1985-11-23,居民身份证,310104198511231258,13912345678,,"))
    findings = incomplete_key_fields(store)
    missing = {f.evidence["role"]: f.evidence["missing_fields"] for f in findings}
    assert missing == {"policyholder": ["gender", "address"], "insured": ["gender"]}
    assert len({f.finding_id for f in findings}) == 2


@pytest.mark.parametrize(
    ("birth_date", "application_date", "expected_missing", "expected_age"),
    [
        pytest.param("2008-09-20", "2026-03-16", None, 17, id="aged-17"),
        pytest.param("2008-03-17", "2026-03-16", None, 17, id="18th-birthday-next-day"),
        pytest.param("2008-03-16", "2026-03-16", ["id_number"], 18, id="18th-birthday-on-application-date"),
        pytest.param("2008-01-05", "2026-02-10", ["id_number"], 18, id="aged-18"),
    ],
)
def test_completeness_insured_id_by_age(
    load_tables: LoadTables, birth_date: str, application_date: str, expected_missing: list[str] | None,
    expected_age: int,
) -> None:
    store = load_tables(child_policy(birth_date, application_date))
    findings = incomplete_key_fields(store)
    if expected_missing is None:
        assert findings == []
        return
    assert [(f.customer_id, f.evidence["role"]) for f in findings] == [("C2", "insured")]
    assert findings[0].evidence["missing_fields"] == expected_missing
    assert findings[0].evidence["age_on_application_date"] == expected_age


def test_completeness_unknown_age_requires_id(load_tables: LoadTables) -> None:
    store = load_tables(child_policy("2015-06-01", ""))
    findings = incomplete_key_fields(store)
    assert [f.evidence["missing_fields"] for f in findings] == [["id_number"]]
    assert findings[0].evidence["age_on_application_date"] is None


def test_completeness_invalid_id_is_not_missing(load_tables: LoadTables) -> None:
    holder = "C1,王伟,男,1985-11-23,居民身份证,310104198511231251,13912345678,广东省广州市天河区体育西路1号,"
    store = load_tables(own_policy(holder))
    assert incomplete_key_fields(store) == []


def test_completeness_beneficiary_not_checked(load_tables: LoadTables) -> None:
    tables = own_policy(HOLDER)
    tables["customers"].append("C3,,,,,,,,")
    tables["policy_roles"].append("P1,C3,受益人")
    store = load_tables(tables)
    assert incomplete_key_fields(store) == []


def test_completeness_finding_id_stable_on_reload(load_tables: LoadTables) -> None:
    tables = own_policy("C1,王伟,男,1985-11-23,居民身份证,310104198511231258,,,")
    first = [f.finding_id for f in incomplete_key_fields(load_tables(tables))]
    second = [f.finding_id for f in incomplete_key_fields(load_tables(tables))]
    assert first == second
    assert first[0].startswith("F-")


@pytest.mark.parametrize(
    ("birth", "on", "expected"),
    [
        pytest.param(date(2008, 3, 16), date(2026, 3, 16), 18, id="birthday"),
        pytest.param(date(2008, 3, 16), date(2026, 3, 15), 17, id="day-before"),
        pytest.param(date(2008, 2, 29), date(2026, 2, 28), 17, id="leap-day-before-march"),
        pytest.param(date(2008, 2, 29), date(2026, 3, 1), 18, id="leap-day-march-1"),
    ],
)
def test_age_on(birth: date, on: date, expected: int) -> None:
    assert age_on(birth, on) == expected
