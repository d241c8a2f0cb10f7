"""Repeat-offender re-check: sales staff with repeated verified misleading-sales complaints."""

from __future__ import annotations

import logging
from collections.abc import Collection, Hashable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from typing import Any

import pandas as pd

from graph.rules.findings import Finding, date_or_none, make_finding, text_or_none
from graph.store import GraphStore

logger = logging.getLogger(__name__)

RULE_CODE = "repeat_offender_recheck"

# Verified complaints within this many days of each other (inclusive) count as repeated.
WINDOW_DAYS = 365
MIN_COMPLAINTS = 2
DEFAULT_COOLING_OFF_DAYS = 15

# Complaint categories that mean misleading sales, compared after strip and casefold.
MISLEADING_SALES_CATEGORIES = frozenset({"销售误导", "misleading_sales", "misleading sales"})

_AGENT_TYPE_NAMES: dict[str, tuple[str, str]] = {
    "agent": ("营销员", "agent"),
    "bancassurance_specialist": ("银保专管员", "bancassurance specialist"),
    "agency": ("代理机构", "agency"),
}


def is_misleading_sales(category: object) -> bool:
    """Return whether a complaint category is misleading sales (销售误导 or misleading_sales)."""
    text = text_or_none(category)
    return text is not None and text.casefold() in MISLEADING_SALES_CATEGORIES


def repeated_pair(verified_dates: Collection[date]) -> tuple[date, date] | None:
    """Return the latest two consecutive verified dates that lie within the window, or None.

    Two dates ``d1 <= d2`` qualify when ``(d2 - d1).days <= 365``, so
    2026-01-10 and 2027-01-10 (365 days) qualify and 2026-01-10 and
    2027-01-11 (366 days) do not. Checking consecutive dates is enough,
    because any qualifying pair has a qualifying consecutive pair between it.
    """
    ordered = sorted(verified_dates)
    best: tuple[date, date] | None = None
    for earlier, later in pairwise(ordered):
        if (later - earlier).days <= WINDOW_DAYS:
            best = (earlier, later)
    return best


@dataclass(frozen=True)
class _Offender:
    """A sales person or agency with two or more verified misleading-sales complaints within the window."""

    agent_id: str
    agent_type: str | None
    sold_by: tuple[str, ...]  # the offender and, for an agency, its agents
    complaints: tuple[dict[str, Any], ...]
    pair: tuple[date, date]


def repeat_offender_rechecks(
    store: GraphStore,
    as_of: date,
    *,
    cooling_off_days: int = DEFAULT_COOLING_OFF_DAYS,
    flagged_policies: Collection[str] = (),
    flagged_customers: Collection[str] = (),
) -> list[Finding]:
    """Return one re-check finding per agent, bancassurance specialist or agency that repeats misleading sales.

    Rule: a complaint counts when it is verified (``verified`` true), its
    category is misleading sales (销售误导 or misleading_sales) and it has
    a verified date; the verified date is the one compared, not the date it
    was received. Two counted complaints whose verified dates ``d1 <= d2``
    satisfy ``(d2 - d1).days <= 365`` make the subject a repeat offender
    (see :func:`repeated_pair`). Complaints verified after ``as_of`` are
    ignored.

    Agencies: an agency's complaints are those against the agency itself
    plus those against every agent whose ``agency_id`` is the agency, so
    two of its staff with one complaint each make the agency a repeat
    offender; its re-check list covers every policy the agency or its agents
    sold. An agent who qualifies alone gets a finding of their own as well.

    The finding's evidence is the re-check list: every policy the subject
    sold, with its customers and roles, its signed date, whether it is in
    the cooling-off period on ``as_of`` and whether a callback is due.

    - In the cooling-off period: the signed date is on or before ``as_of``
      and ``as_of`` is on or before the signed date plus ``cooling_off_days``
      calendar days (inclusive). A policy whose receipt is not signed by
      ``as_of`` (no signed date, or a later one) has not started its period:
      the value is None.
    - Callback due: the policy is in its cooling-off period or has not
      started it, so the callback must be made before the period ends; or
      another rule of this run reported the policy or one of its customers
      (``flagged_policies``, ``flagged_customers``).

    Args:
        store: any graph store.
        as_of: the day the re-check list is made for.
        cooling_off_days: length of the cooling-off period in calendar days
            from the day the customer signs for the policy.
        flagged_policies: policies that other rules reported in this run.
        flagged_customers: customers that other rules reported in this run.
    """
    offenders = _offenders(store, as_of)
    findings: list[Finding] = []
    for offender in offenders:
        sales = store.agent_sales(offender.sold_by)
        policies = _recheck_list(sales, as_of, cooling_off_days, set(flagged_policies), set(flagged_customers))
        findings.append(_finding(offender, policies, as_of, cooling_off_days))
    logger.info("repeat-offender re-check: %d subjects, %d policies to re-check",
                len(findings), sum(int(f.evidence["policy_count"]) for f in findings))
    return findings


def _offenders(store: GraphStore, as_of: date) -> list[_Offender]:
    complaints = store.verified_complaints()
    counted: list[dict[Hashable, Any]] = [
        row for row in complaints.to_dict("records")
        if is_misleading_sales(row["category"])
        and (verified := date_or_none(row["verified_date"])) is not None
        and verified <= as_of
    ]
    if not counted:
        return []
    agents = store.agents()
    agent_type = {str(a): text_or_none(t) for a, t in zip(agents["agent_id"], agents["agent_type"], strict=True)}
    members: dict[str, list[str]] = {}
    for agent_id, agency_id in zip(agents["agent_id"], agents["agency_id"], strict=True):
        if text_or_none(agency_id):
            members.setdefault(str(agency_id), []).append(str(agent_id))
    agency_of = {agent: agency for agency, agents_of in members.items() for agent in agents_of}

    # Complaints per subject: each agent's own, and each agency's own plus its agents'.
    by_subject: dict[str, list[dict[Hashable, Any]]] = {}
    for row in counted:
        agent_id = str(row["agent_id"])
        by_subject.setdefault(agent_id, []).append(row)
        if agent_id in agency_of:
            by_subject.setdefault(agency_of[agent_id], []).append(row)

    offenders: list[_Offender] = []
    for subject, rows in sorted(by_subject.items()):
        pair = repeated_pair([d for row in rows if (d := date_or_none(row["verified_date"])) is not None])
        if len(rows) < MIN_COMPLAINTS or pair is None:
            continue
        is_agency = agent_type.get(subject) == "agency" or subject in members
        offenders.append(_Offender(
            agent_id=subject,
            agent_type=agent_type.get(subject),
            sold_by=(subject, *sorted(members.get(subject, []))) if is_agency else (subject,),
            complaints=tuple(
                {
                    "complaint_id": str(row["complaint_id"]),
                    "agent_id": str(row["agent_id"]),
                    "policy_no": text_or_none(row["policy_no"]),
                    "verified_date": date_or_none(row["verified_date"]),
                }
                for row in sorted(rows, key=lambda r: (date_or_none(r["verified_date"]), str(r["complaint_id"])))
            ),
            pair=pair,
        ))
    return offenders


def _recheck_list(
    sales: pd.DataFrame, as_of: date, cooling_off_days: int, flagged_policies: set[str], flagged_customers: set[str]
) -> list[dict[str, Any]]:
    policies: list[dict[str, Any]] = []
    for policy_no, rows in sales.groupby("policy_no", sort=True):
        first = rows.iloc[0]
        signed = date_or_none(first["signed_date"])
        in_cooling_off: bool | None
        if signed is None or signed > as_of:
            in_cooling_off = None
            ends = None
        else:
            ends = signed + timedelta(days=cooling_off_days)
            in_cooling_off = as_of <= ends
        customers = [
            {"customer_id": str(r["customer_id"]), "role": str(r["role"])}
            for r in rows.to_dict("records") if text_or_none(r["customer_id"]) is not None
        ]
        flagged = str(policy_no) in flagged_policies or any(c["customer_id"] in flagged_customers for c in customers)
        policies.append({
            "policy_no": str(policy_no),
            "agent_id": text_or_none(first["agent_id"]),
            "product_name": text_or_none(first["product_name"]),
            "channel": text_or_none(first["channel"]),
            "signed_date": signed,
            "cooling_off_ends": ends,
            "in_cooling_off": in_cooling_off,
            "callback_due": in_cooling_off is not False or flagged,
            "has_other_findings": flagged,
            "customers": customers,
        })
    return policies


def _finding(offender: _Offender, policies: list[dict[str, Any]], as_of: date, cooling_off_days: int) -> Finding:
    kind_zh, kind_en = _AGENT_TYPE_NAMES.get(offender.agent_type or "", ("销售人员", "sales person"))
    first, second = offender.pair
    callbacks = sum(1 for p in policies if p["callback_due"])
    customers = len({c["customer_id"] for p in policies for c in p["customers"]})
    channels = {p["channel"] for p in policies if p["channel"]}
    return make_finding(
        RULE_CODE,
        (offender.agent_id,),
        "high",
        f"{kind_zh} {offender.agent_id} 有 {len(offender.complaints)} 次投诉经查实为销售误导，其中两次查实日期"
        f"（{first.isoformat()}、{second.isoformat()}）相隔不超过 {WINDOW_DAYS} 天；须复核其销售的全部 "
        f"{len(policies)} 件保单、{customers} 名客户的资料，其中 {callbacks} 件需电话回访",
        f"{kind_en} {offender.agent_id} has {len(offender.complaints)} complaints verified as misleading sales, "
        f"two of them verified within {WINDOW_DAYS} days ({first.isoformat()} and {second.isoformat()}); "
        f"re-check the customer data of all {len(policies)} policies sold ({customers} customers), "
        f"{callbacks} of which need a callback",
        {
            "agent_type": offender.agent_type,
            "sold_by": list(offender.sold_by),
            "complaints": list(offender.complaints),
            "as_of": as_of,
            "cooling_off_days": cooling_off_days,
            "policy_count": len(policies),
            "customer_count": customers,
            "callback_count": callbacks,
            "policies": policies,
        },
        agent_id=offender.agent_id,
        channel=channels.pop() if len(channels) == 1 else None,
    )
