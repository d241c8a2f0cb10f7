"""Agent-substituted details: a customer's contact data that belongs to sales staff or their circle."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pandas as pd

from graph.rules.findings import Finding, is_true, make_finding, text_or_none
from graph.store import GraphStore
from kycgraph.masking import mask_value

logger = logging.getLogger(__name__)

SUBSTITUTED = "agent_substituted_details"
AGENT_IS_POLICYHOLDER = "agent_is_policyholder"

DEFAULT_KINDS: tuple[str, ...] = ("phone", "address", "bank_account")

# Whose detail the customer's record carries: the agent or one of its registered contacts.
OWNER_NAMES: dict[str, tuple[str, str]] = {
    "agent": ("营销员本人", "the agent"),
    "relative": ("营销员登记的亲属", "the agent's registered relative"),
    "agency_office": ("代理机构办公场所", "the agency office"),
    "agency_staff": ("代理机构员工", "agency staff"),
}
KIND_NAMES: dict[str, tuple[str, str]] = {
    "phone": ("联系电话", "phone"),
    "address": ("联系地址", "contact address"),
    "bank_account": ("银行账号", "bank account"),
    "email": ("电子邮箱", "email"),
}


def agent_substituted_details(store: GraphStore, kinds: Sequence[str] = DEFAULT_KINDS) -> list[Finding]:
    """Return one finding per (customer, agent) where the customer's details are the agent's.

    Rule: a customer's phone, contact address or bank account, after
    normalisation, equals one recorded for an agent, bancassurance
    specialist or agency, or for one of the registered contacts linked to it
    (a relative, an agency office, an agency staff member). Each finding
    names the agent, every matching detail (masked) with whose it is, and
    whether that agent sold this customer a policy: the customer has any
    role on a policy the agent sold or, for an agency, that one of its
    agents sold. It is high severity when the agent sold to the customer and
    medium otherwise. The evidence also counts the different customers that
    have substituted details of the same agent.

    Not substitution: a match with an agent whose ID number is the
    customer's own (the agent bought the policy); such sales are reported by
    :func:`agent_is_policyholder`. Placeholder values and values that cannot
    be compared across records (a landline without area code) never match.

    Notes:
        A registered relative or agency staff member who is also a genuine
        customer carries their own phone, and is reported here, because
        contacts have no ID number to tell them apart; the evidence gives the
        contact's masked name for the investigator.
    """
    matches = store.agent_identifier_matches(kinds)
    matches = matches[[not is_true(v) for v in matches["customer_is_agent"]]]
    if matches.empty:
        return []
    affected = Counter(
        agent for agent, _ in {(str(a), str(c)) for a, c in zip(matches["agent_id"], matches["customer_id"],
                                                                strict=True)}
    )
    findings: list[Finding] = []
    for (customer_id, agent_id), rows in matches.groupby(["customer_id", "agent_id"], sort=True):
        findings.append(_substitution(str(customer_id), str(agent_id), rows, affected[str(agent_id)]))
    logger.info(
        "agent-substituted details: %d findings, %d customers, %d agents",
        len(findings), len(set(matches["customer_id"])), len(affected),
    )
    return findings


def affected_customers_by_agent(findings: Sequence[Finding]) -> dict[str, int]:
    """Return the number of different customers with substituted details, by agent id."""
    pairs = {(f.agent_id, f.customer_id) for f in findings if f.rule == SUBSTITUTED and f.agent_id}
    return dict(sorted(Counter(str(agent) for agent, _ in pairs).items()))


def _substitution(customer_id: str, agent_id: str, rows: pd.DataFrame, affected: int) -> Finding:
    details: list[dict[str, Any]] = []
    for row in rows.to_dict("records"):
        owner = "agent" if row["owner_type"] == "agent" else str(row["contact_type"])
        contact_name = text_or_none(row["contact_name"])
        details.append({
            "kind": str(row["kind"]),
            "value": mask_value(str(row["kind"]), str(row["key"])),
            "owner": owner,
            "contact_id": text_or_none(row["contact_id"]),
            "contact_name": mask_value("name", contact_name) if contact_name else None,
        })
    sold = any(is_true(v) for v in rows["sold_to_customer"])
    listed_zh = "；".join(f"{_name(KIND_NAMES, d['kind'], 0)} {d['value']} 为{_name(OWNER_NAMES, d['owner'], 0)}所有"
                         for d in details)
    listed_en = "; ".join(f"{_name(KIND_NAMES, d['kind'], 1)} {d['value']} is {_name(OWNER_NAMES, d['owner'], 1)}'s"
                          for d in details)
    sold_zh = "是" if sold else "否"
    sold_en = "yes" if sold else "no"
    return make_finding(
        SUBSTITUTED,
        (customer_id, agent_id),
        "high" if sold else "medium",
        f"客户 {customer_id} 的联系方式与营销员 {agent_id} 相关：{listed_zh}。是否由该营销员销售：{sold_zh}",
        f"customer {customer_id} carries details of agent {agent_id}: {listed_en}. "
        f"Sold by this agent: {sold_en}",
        {
            "matches": details,
            "sold_by_this_agent": sold,
            "agent_affected_customers": affected,
        },
        customer_id=customer_id,
        agent_id=agent_id,
    )


def agent_is_policyholder(store: GraphStore) -> list[Finding]:
    """Return one finding per policy whose policyholder is the agent who sold it.

    Rule: the policyholder's ID number equals the selling agent's ID number
    (both recorded and valid). Such a sale is legitimate but is listed
    (low severity) so that it is not mistaken for agent-substituted details,
    which this match excludes.
    """
    findings = [
        make_finding(
            AGENT_IS_POLICYHOLDER,
            (str(row["agent_id"]), str(row["policy_no"])),
            "low",
            f"保单 {row['policy_no']} 的投保人（客户号 {row['customer_id']}）即销售该保单的营销员 "
            f"{row['agent_id']} 本人（证件号码相同），不属于代填联系方式",
            f"the policyholder ({row['customer_id']}) of policy {row['policy_no']} is agent {row['agent_id']}, "
            "who sold it (same ID number); this is not agent-substituted details",
            {"same_id_number": True},
            customer_id=str(row["customer_id"]),
            policy_no=str(row["policy_no"]),
            agent_id=str(row["agent_id"]),
            channel=text_or_none(row["channel"]),
        )
        for row in store.agent_policyholders().to_dict("records")
    ]
    logger.info("agent is policyholder: %d policies", len(findings))
    return findings


def _name(names: dict[str, tuple[str, str]], code: str, language_index: int) -> str:
    return names.get(code, (code, code))[language_index]
