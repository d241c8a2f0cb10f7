"""Third-party payer accounts, run on every store through the ``store`` fixture."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from graph.rules.third_party_payer import normalise_name, third_party_payers
from graph.store import GraphStore

LoadTables = Callable[[dict[str, list[str]]], GraphStore]

AS_OF = date(2026, 12, 4)
HOLDER_ID = "310104198511231258"
PAYER_ID = "110105198002021024"
PAYER_ACCOUNT = "6222021234567890123"
OWN_ACCOUNT = "6222029876543210987"


def export(
    policies: list[str], *, customers: list[str] | None = None, exceptions: list[str] | None = None
) -> dict[str, list[str]]:
    """Return an export where C1 (C2, C3) is the policyholder of P1 (P2, P3).

    Policies are sold by A1 unless the row names another agent.
    """
    customers = customers or [
        f"C1,王伟,男,1985-11-23,居民身份证,{HOLDER_ID},13912345678,,{OWN_ACCOUNT}",
        "C2,赵敏,女,1985-11-23,居民身份证,31010419851123124X,13912345679,,",
        "C3,孙杰,男,1985-11-23,居民身份证,310104198511231231,13912345670,,",
    ]
    tables = {
        "customers": customers,
        "agents": ["A1,李强,营销员,,,,,", "A2,陈静,营销员,,,,,"],
        "policies": policies,
        "policy_roles": [f"P{i},C{i},投保人" for i in range(1, len(policies) + 1)],
    }
    if exceptions is not None:
        tables["payer_exceptions"] = exceptions
    return tables


def policy(number: int, account: str, payer_name: str, payer_id: str, agent: str = "A1") -> str:
    return f"P{number},安康定期寿险,2026-03-16,2026-03-20,{agent},个险,{account},{payer_name},{payer_id}"


def test_payer_other_id_number_is_third_party(load_tables: LoadTables) -> None:
    store = load_tables(export([policy(1, PAYER_ACCOUNT, "刘洋", PAYER_ID)]))
    [finding] = third_party_payers(store, AS_OF)
    assert (finding.rule, finding.policy_no, finding.customer_id, finding.agent_id) == (
        "third_party_payer", "P1", "C1", "A1",
    )
    assert finding.severity == "medium"
    assert finding.evidence == {
        "premium_account": "6222 **** **** *** 0123",
        "payer_name": "刘*",
        "payer_id_number": "110105********1024",
        "policyholder_ids": ["C1"],
        "compared_by": "id_number",
        "exception": "none",
        "exception_expiry_date": None,
        "shared_payer": False,
    }
    assert PAYER_ACCOUNT not in finding.message_zh + finding.message_en


def test_payer_own_id_number_is_not_third_party(load_tables: LoadTables) -> None:
    store = load_tables(export([policy(1, OWN_ACCOUNT, "刘洋", HOLDER_ID)]))
    assert third_party_payers(store, AS_OF) == []


@pytest.mark.parametrize(
    ("payer_name", "expected"),
    [
        pytest.param("王 伟", [], id="same-name-with-space"),
        pytest.param("王伟", [], id="same-name"),
        pytest.param("刘洋", ["P1"], id="other-name"),
        pytest.param("", [], id="no-name-undecidable"),
    ],
)
def test_payer_compared_by_name_without_id(load_tables: LoadTables, payer_name: str, expected: list[str]) -> None:
    store = load_tables(export([policy(1, PAYER_ACCOUNT, payer_name, "")]))
    findings = third_party_payers(store, AS_OF)
    assert [f.policy_no for f in findings] == expected
    assert all(f.evidence["compared_by"] == "name" for f in findings)


@pytest.mark.parametrize(
    ("expiry_date", "expected_exception"),
    [
        pytest.param("2026-12-04", None, id="expires-on-as-of-date"),
        pytest.param("2027-06-30", None, id="valid"),
        pytest.param("2026-12-03", "expired", id="expired-day-before"),
    ],
)
def test_payer_exception_expiry_inclusive(
    load_tables: LoadTables, expiry_date: str, expected_exception: str | None
) -> None:
    store = load_tables(export(
        [policy(1, PAYER_ACCOUNT, "刘洋", PAYER_ID)],
        exceptions=[f"P1,{PAYER_ACCOUNT},周红,投保人委托配偶账户代缴保费,{expiry_date}"],
    ))
    findings = third_party_payers(store, AS_OF)
    assert [f.evidence["exception"] for f in findings] == ([] if expected_exception is None else ["expired"])


def test_payer_exception_for_other_account_does_not_apply(load_tables: LoadTables) -> None:
    store = load_tables(export(
        [policy(1, PAYER_ACCOUNT, "刘洋", PAYER_ID)],
        exceptions=["P1,6222020000111122223,周红,投保人委托配偶账户代缴保费,2027-06-30"],
    ))
    assert [f.policy_no for f in third_party_payers(store, AS_OF)] == ["P1"]


def test_payer_shared_by_policyholders_of_one_agent(load_tables: LoadTables) -> None:
    store = load_tables(export([
        policy(1, PAYER_ACCOUNT, "刘洋", PAYER_ID),
        policy(2, PAYER_ACCOUNT, "刘洋", PAYER_ID),
        policy(3, PAYER_ACCOUNT, "刘洋", PAYER_ID, agent="A2"),
    ]))
    findings = third_party_payers(store, AS_OF)
    assert [(f.policy_no, f.severity, f.evidence["shared_payer"]) for f in findings] == [
        ("P1", "high", True), ("P2", "high", True), ("P3", "medium", False),
    ]
    assert findings[0].evidence["shared_payer_policyholders"] == [
        {"customer_id": "C1", "name": "王*"}, {"customer_id": "C2", "name": "赵*"},
    ]
    assert findings[0].evidence["shared_payer_policies"] == ["P1", "P2"]


def test_payer_without_premium_account_not_checked(load_tables: LoadTables) -> None:
    store = load_tables(export([policy(1, "", "刘洋", PAYER_ID)]))
    assert third_party_payers(store, AS_OF) == []


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        pytest.param("王 伟", "王伟", id="space"),
        pytest.param("阿依·买买提", "阿依买买提", id="middle-dot"),
        pytest.param("Ｗａｎｇ Wei", "wangwei", id="full-width-latin"),
        pytest.param("", None, id="blank"),
    ],
)
def test_normalise_name(name: str, expected: str | None) -> None:
    assert normalise_name(name) == expected
