"""Repeat-offender re-check, run on every store through the ``store`` fixture."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from graph.rules.repeat_offender import is_misleading_sales, repeat_offender_rechecks, repeated_pair
from graph.store import GraphStore

LoadTables = Callable[[dict[str, list[str]]], GraphStore]

AS_OF = date(2026, 12, 31)


def export(complaints: list[str], policies: list[str] | None = None) -> dict[str, list[str]]:
    """Return an export with agent A1, specialist B1, agency G1 with staff A3 and A4, and policy P1 by A1."""
    return {
        "customers": [
            "C1,王伟,男,1985-11-23,居民身份证,310104198511231258,13912345678,,",
            "C2,赵敏,女,1985-11-23,居民身份证,31010419851123124X,13912345679,,",
        ],
        "agents": [
            "A1,李强,营销员,,,,,",
            "B1,陈静,银保专管员,,,,,",
            "G1,广州穗安保险代理有限公司,代理机构,,,,,",
            "A3,黄敏,营销员,G1,,,,",
            "A4,周杰,营销员,G1,,,,",
        ],
        "policies": policies or ["P1,安康定期寿险,2026-03-16,2026-03-20,A1,个险,,,"],
        "policy_roles": ["P1,C1,投保人", "P1,C2,被保险人"],
        "complaints": complaints,
    }


def complaint(number: int, agent: str, verified_date: str, category: str = "销售误导", verified: str = "是") -> str:
    return f"T{number},{agent},,2025-01-02,{category},{verified},{verified_date}"


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        pytest.param("2026-01-10", "2026-12-20", ["A1"], id="within-a-year"),
        pytest.param("2025-01-10", "2026-03-01", [], id="415-days-apart"),
        pytest.param("2025-03-01", "2026-03-01", ["A1"], id="exactly-365-days"),
        pytest.param("2025-03-01", "2026-03-02", [], id="366-days"),
    ],
)
def test_repeat_offender_window(load_tables: LoadTables, first: str, second: str, expected: list[str]) -> None:
    store = load_tables(export([complaint(1, "A1", first), complaint(2, "A1", second)]))
    findings = repeat_offender_rechecks(store, AS_OF)
    assert [f.agent_id for f in findings] == expected
    assert all(f.rule == "repeat_offender_recheck" for f in findings)


@pytest.mark.parametrize(
    ("second", "expected"),
    [
        pytest.param(complaint(2, "A1", "2026-06-01", verified="否"), [], id="not-verified"),
        pytest.param(complaint(2, "A1", "2026-06-01", category="服务态度"), [], id="other-category"),
        pytest.param(complaint(2, "A1", "2026-06-01", category="misleading_sales"), ["A1"], id="english-category"),
        pytest.param(complaint(2, "A1", ""), [], id="no-verified-date"),
        pytest.param(complaint(2, "A1", "2027-01-05"), [], id="verified-after-as-of"),
        pytest.param(complaint(2, "B1", "2026-06-01"), [], id="other-agent"),
    ],
)
def test_repeat_offender_counted_complaints(load_tables: LoadTables, second: str, expected: list[str]) -> None:
    store = load_tables(export([complaint(1, "A1", "2026-01-10"), second]))
    assert [f.agent_id for f in repeat_offender_rechecks(store, AS_OF)] == expected


def test_repeat_offender_bancassurance_specialist(load_tables: LoadTables) -> None:
    store = load_tables(export([complaint(1, "B1", "2026-01-10"), complaint(2, "B1", "2026-02-10")]))
    [finding] = repeat_offender_rechecks(store, AS_OF)
    assert (finding.agent_id, finding.evidence["agent_type"]) == ("B1", "bancassurance_specialist")
    assert finding.evidence["policies"] == []
    assert "银保专管员 B1" in finding.message_zh


def test_repeat_offender_agency_aggregates_its_agents(load_tables: LoadTables) -> None:
    store = load_tables(export(
        [complaint(1, "A3", "2026-01-10"), complaint(2, "A4", "2026-05-10")],
        policies=[
            "P1,安康定期寿险,2026-03-16,2026-03-20,A3,中介,,,",
            "P2,安康定期寿险,2026-03-16,2026-03-20,A4,中介,,,",
        ],
    ))
    [finding] = repeat_offender_rechecks(store, AS_OF)
    assert finding.agent_id == "G1"
    assert finding.evidence["sold_by"] == ["G1", "A3", "A4"]
    assert [c["complaint_id"] for c in finding.evidence["complaints"]] == ["T1", "T2"]
    assert [p["policy_no"] for p in finding.evidence["policies"]] == ["P1", "P2"]
    assert finding.channel == "intermediary"


@pytest.mark.parametrize(
    ("signed_date", "expected_in_cooling_off", "expected_callback_due"),
    [
        pytest.param("2026-12-16", True, True, id="signed-15-days-before"),
        pytest.param("2026-12-15", False, False, id="signed-16-days-before"),
        pytest.param("2026-12-31", True, True, id="signed-on-as-of-date"),
        pytest.param("", None, True, id="not-signed"),
    ],
)
def test_repeat_offender_recheck_list(
    load_tables: LoadTables, signed_date: str, expected_in_cooling_off: bool | None, expected_callback_due: bool
) -> None:
    store = load_tables(export(
        [complaint(1, "A1", "2026-01-10"), complaint(2, "A1", "2026-12-20")],
        policies=[f"P1,安康定期寿险,2026-12-10,{signed_date},A1,个险,,,"],
    ))
    [finding] = repeat_offender_rechecks(store, AS_OF)
    [entry] = finding.evidence["policies"]
    assert entry["in_cooling_off"] is expected_in_cooling_off
    assert entry["callback_due"] is expected_callback_due
    assert entry["customers"] == [
        {"customer_id": "C1", "role": "policyholder"}, {"customer_id": "C2", "role": "insured"},
    ]
    assert finding.evidence["callback_count"] == int(expected_callback_due)
    assert finding.evidence["customer_count"] == 2


def test_repeat_offender_cooling_off_setting(load_tables: LoadTables) -> None:
    store = load_tables(export(
        [complaint(1, "A1", "2026-01-10"), complaint(2, "A1", "2026-12-20")],
        policies=["P1,安康定期寿险,2026-12-10,2026-12-15,A1,个险,,,"],
    ))
    [finding] = repeat_offender_rechecks(store, AS_OF, cooling_off_days=20)
    [entry] = finding.evidence["policies"]
    assert (entry["cooling_off_ends"], entry["in_cooling_off"]) == ("2027-01-04", True)


def test_repeat_offender_callback_due_for_flagged_customer(load_tables: LoadTables) -> None:
    store = load_tables(export([complaint(1, "A1", "2026-01-10"), complaint(2, "A1", "2026-12-20")]))
    [finding] = repeat_offender_rechecks(store, AS_OF, flagged_customers={"C2"})
    [entry] = finding.evidence["policies"]
    assert (entry["in_cooling_off"], entry["has_other_findings"], entry["callback_due"]) == (False, True, True)


@pytest.mark.parametrize(
    ("dates", "expected"),
    [
        pytest.param([date(2026, 1, 10)], None, id="one"),
        pytest.param([date(2026, 12, 20), date(2026, 1, 10)], (date(2026, 1, 10), date(2026, 12, 20)), id="unsorted"),
        pytest.param([date(2024, 1, 1), date(2025, 6, 1), date(2026, 1, 10)], (date(2025, 6, 1), date(2026, 1, 10)),
                     id="middle-pair"),
    ],
)
def test_repeated_pair(dates: list[date], expected: tuple[date, date] | None) -> None:
    assert repeated_pair(dates) == expected


@pytest.mark.parametrize(
    ("category", "expected"),
    [("销售误导", True), (" Misleading_Sales ", True), ("服务态度", False), (None, False)],
)
def test_is_misleading_sales(category: str | None, expected: bool) -> None:
    assert is_misleading_sales(category) is expected


def test_repeat_offender_reassigned_complaint(load_tables: LoadTables) -> None:
    load_tables(export([complaint(1, "A1", "2026-01-10"), complaint(2, "A1", "2026-05-10")]))
    store = load_tables(export([complaint(1, "A1", "2026-01-10"), complaint(2, "B1", "2026-05-10")]))
    assert repeat_offender_rechecks(store, AS_OF) == []
