"""Agent-substituted details and agents as their own policyholder, run on every store."""

from __future__ import annotations

from collections.abc import Callable

from graph.rules.agent_substitution import (
    affected_customers_by_agent,
    agent_is_policyholder,
    agent_substituted_details,
)
from graph.store import GraphStore

LoadTables = Callable[[dict[str, list[str]]], GraphStore]

AGENT_PHONE = "13800001111"
RELATIVE_PHONE = "13700002222"
OFFICE_ADDRESS = "广东省广州市天河区珠江新城商务大厦18楼"
AGENT_ID_NUMBER = "110105197001011014"


def tables(customers: list[str], policies: list[str], roles: list[str]) -> dict[str, list[str]]:
    """Return an export with agent A1 (own phone, a relative), agent A2, agency G1 and its staff agent A3."""
    return {
        "customers": customers,
        "agents": [
            f"A1,李强,营销员,,{AGENT_ID_NUMBER},{AGENT_PHONE},广东省广州市越秀区东风中路1号,",
            "A2,陈静,营销员,,110105198002021024,13600003333,,",
            f"G1,广州穗安保险代理有限公司,代理机构,,,020-81234567,{OFFICE_ADDRESS},",
            "A3,黄敏,营销员,G1,110105197503031031,13500004444,,",
        ],
        "agent_contacts": [
            f"A1,亲属,李芳,{RELATIVE_PHONE},",
            f"G1,机构办公,广州穗安办公室,020-81234567,{OFFICE_ADDRESS}",
        ],
        "policies": policies,
        "policy_roles": roles,
    }


def policy(policy_no: str, agent_id: str) -> str:
    return f"{policy_no},安康定期寿险,2026-03-16,2026-03-20,{agent_id},个险,,,"


def test_substitution_relative_phone_sold_by_agent(load_tables: LoadTables) -> None:
    store = load_tables(tables(
        [f"C1,王伟,男,1985-11-23,居民身份证,310104198511231258,{RELATIVE_PHONE},广东省广州市海珠区江南大道中5号,"],
        [policy("P1", "A1")],
        ["P1,C1,投保人"],
    ))
    [finding] = agent_substituted_details(store)
    assert finding.rule == "agent_substituted_details"
    assert (finding.customer_id, finding.agent_id) == ("C1", "A1")
    assert finding.severity == "high"
    assert finding.evidence["sold_by_this_agent"] is True
    assert finding.evidence["matches"] == [
        {"kind": "phone", "value": "137****2222", "owner": "relative", "contact_id": "A1/2", "contact_name": "李*"},
    ]
    assert finding.evidence["agent_affected_customers"] == 1
    assert "Sold by this agent: yes" in finding.message_en
    assert "是否由该营销员销售：是" in finding.message_zh
    assert RELATIVE_PHONE not in finding.message_zh + finding.message_en


def test_substitution_agent_phone_on_other_agents_customer(load_tables: LoadTables) -> None:
    store = load_tables(tables(
        [f"C1,王伟,男,1985-11-23,居民身份证,310104198511231258,{AGENT_PHONE},,"],
        [policy("P1", "A2")],
        ["P1,C1,投保人"],
    ))
    [finding] = agent_substituted_details(store)
    assert (finding.customer_id, finding.agent_id) == ("C1", "A1")
    assert finding.evidence["sold_by_this_agent"] is False
    assert finding.severity == "medium"
    assert [m["owner"] for m in finding.evidence["matches"]] == ["agent"]
    assert "Sold by this agent: no" in finding.message_en


def test_substitution_agency_office_address_sold_by_staff(load_tables: LoadTables) -> None:
    store = load_tables(tables(
        [f"C1,王伟,男,1985-11-23,居民身份证,310104198511231258,13912345678,{OFFICE_ADDRESS},"],
        [policy("P1", "A3")],
        ["P1,C1,投保人"],
    ))
    [finding] = agent_substituted_details(store)
    assert (finding.customer_id, finding.agent_id) == ("C1", "G1")
    assert finding.evidence["sold_by_this_agent"] is True
    assert [(m["kind"], m["owner"]) for m in finding.evidence["matches"]] == [
        ("address", "agent"), ("address", "agency_office"),
    ]


def test_substitution_counts_customers_per_agent(load_tables: LoadTables) -> None:
    store = load_tables(tables(
        [
            f"C1,王伟,男,1985-11-23,居民身份证,310104198511231258,{AGENT_PHONE},,",
            f"C2,赵敏,女,1985-11-23,居民身份证,31010419851123124X,{RELATIVE_PHONE},,",
            "C3,孙杰,男,1985-11-23,居民身份证,310104198511231231,13912345678,,",
        ],
        [policy("P1", "A1"), policy("P2", "A1"), policy("P3", "A1")],
        ["P1,C1,投保人", "P2,C2,投保人", "P3,C3,投保人"],
    ))
    findings = agent_substituted_details(store)
    assert [(f.customer_id, f.agent_id) for f in findings] == [("C1", "A1"), ("C2", "A1")]
    assert [f.evidence["agent_affected_customers"] for f in findings] == [2, 2]
    assert affected_customers_by_agent(findings) == {"A1": 2}


def test_substitution_placeholder_phone_never_matches(load_tables: LoadTables) -> None:
    data = tables(
        ["C1,王伟,男,1985-11-23,居民身份证,310104198511231258,00000000000,,"],
        [policy("P1", "A1")],
        ["P1,C1,投保人"],
    )
    data["agents"][1] = "A2,陈静,营销员,,110105198002021024,00000000000,,"
    store = load_tables(data)
    assert agent_substituted_details(store) == []


def test_agent_is_policyholder_not_substitution(load_tables: LoadTables) -> None:
    store = load_tables(tables(
        [f"C1,李强,男,1970-01-01,居民身份证,{AGENT_ID_NUMBER},{AGENT_PHONE},,"],
        [policy("P1", "A1")],
        ["P1,C1,投保人", "P1,C1,被保险人"],
    ))
    assert agent_substituted_details(store) == []
    [finding] = agent_is_policyholder(store)
    assert (finding.rule, finding.agent_id, finding.policy_no, finding.customer_id) == (
        "agent_is_policyholder", "A1", "P1", "C1",
    )
    assert finding.channel == "agency"


def test_agent_is_policyholder_needs_same_id_number(load_tables: LoadTables) -> None:
    store = load_tables(tables(
        ["C1,李强,男,1985-11-23,居民身份证,310104198511231258,13912345678,,"],
        [policy("P1", "A1")],
        ["P1,C1,投保人"],
    ))
    assert agent_is_policyholder(store) == []
