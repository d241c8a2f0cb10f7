"""Third-party payer accounts: premiums collected from a bank account that is not the policyholder's."""

from __future__ import annotations

import logging
import re
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal

from graph.rules.findings import Finding, date_or_none, make_finding, text_or_none
from graph.store import GraphStore
from kycgraph.masking import mask_value
from loaders.normalise import clean_text

logger = logging.getLogger(__name__)

RULE_CODE = "third_party_payer"

# Number of different policyholders of one agent that one payer account pays for, from which it is highlighted.
SHARED_PAYER_MIN_POLICYHOLDERS = 2

# Separators inside names that exports write in some records and drop in others (阿依·买买提).
_NAME_NOISE = re.compile(r"[\s·・•.]")

ExceptionStatus = Literal["none", "expired"]


def normalise_name(value: object) -> str | None:
    """Return a name for comparison: NFKC, no whitespace or middle dots, case-folded; None when missing."""
    text = clean_text(value)
    if text is None:
        return None
    return _NAME_NOISE.sub("", text).casefold() or None


@dataclass(frozen=True)
class _ThirdParty:
    """One policy paid from an account that belongs to none of its policyholders."""

    policy_no: str
    agent_id: str | None
    channel: str | None
    premium_account: str
    policyholder_ids: tuple[str, ...]
    policyholder_names: tuple[str | None, ...]
    payer_name: str | None
    payer_id_number: str | None
    compared_by: Literal["id_number", "name"]
    exception_status: ExceptionStatus
    exception_expiry_date: date | None


def third_party_payers(store: GraphStore, as_of: date) -> list[Finding]:
    """Return one finding per policy whose premium account is not held by its policyholder.

    Rule: the holder of the premium account is compared with the
    policyholder by ID number when both ID numbers are recorded, and
    otherwise by name, normalised (NFKC, whitespace and middle dots removed,
    case-folded). The account is the policyholder's when it matches any
    policyholder of the policy. When neither comparison is possible (no
    payer ID number and no payer or policyholder name), the policy is left
    out and counted in the log.

    An approved exception for the same policy and premium account suppresses
    the finding while it is unexpired: it has an approver and its expiry
    date is on or after ``as_of`` (inclusive). An expired exception does not
    suppress the finding; the evidence gives its expiry date.

    One payer account that pays for two or more different policyholders of
    policies sold by the same agent is highlighted: those findings are high
    severity and their evidence lists every such policyholder and policy.
    Other findings are medium severity. Only findings that are not
    suppressed count towards the highlight.

    Args:
        store: any graph store.
        as_of: the date against which exception expiry dates are checked.
    """
    rows = store.premium_payers()
    third_parties: list[_ThirdParty] = []
    undetermined = 0
    for policy_no, group in rows.groupby("policy_no", sort=True):
        records = group.to_dict("records")
        verdict = _compare(records)
        if verdict is None:
            undetermined += 1
            continue
        is_third_party, compared_by = verdict
        if not is_third_party:
            continue
        first = records[0]
        status = _exception_status(first, as_of)
        if status == "approved":
            continue
        third_parties.append(_ThirdParty(
            policy_no=str(policy_no),
            agent_id=text_or_none(first["agent_id"]),
            channel=text_or_none(first["channel"]),
            premium_account=str(first["premium_account"]),
            policyholder_ids=tuple(str(r["policyholder_id"]) for r in records),
            policyholder_names=tuple(text_or_none(r["policyholder_name"]) for r in records),
            payer_name=text_or_none(first["payer_name"]),
            payer_id_number=text_or_none(first["payer_id_number"]),
            compared_by=compared_by,
            exception_status=status,
            exception_expiry_date=date_or_none(first["exception_expiry_date"]),
        ))
    if undetermined:
        logger.warning(
            "third-party payer: %d policies not checked because neither the payer's ID number nor both names "
            "are recorded", undetermined,
        )
    findings = _findings(third_parties)
    logger.info("third-party payer: %d findings", len(findings))
    return findings


def _compare(records: list[dict[Hashable, Any]]) -> tuple[bool, Literal["id_number", "name"]] | None:
    """Return (whether the account is a third party's, how it was decided), or None when undecidable."""
    holders = [r for r in records if text_or_none(r["policyholder_id"]) is not None]
    if not holders:
        return None
    payer_id = text_or_none(records[0]["payer_id_number"])
    payer_name = normalise_name(records[0]["payer_name"])
    decided_by_id = False
    decided_by_name = False
    for holder in holders:
        holder_id = text_or_none(holder["policyholder_id_number"])
        if payer_id is not None and holder_id is not None:
            if payer_id == holder_id:
                return False, "id_number"
            decided_by_id = True
            continue
        holder_name = normalise_name(holder["policyholder_name"])
        if payer_name is not None and holder_name is not None:
            if payer_name == holder_name:
                return False, "name"
            decided_by_name = True
    if decided_by_id:
        return True, "id_number"
    if decided_by_name:
        return True, "name"
    return None


def _exception_status(row: dict[Hashable, Any], as_of: date) -> Literal["approved", "none", "expired"]:
    approver = text_or_none(row["exception_approver"])
    expiry = date_or_none(row["exception_expiry_date"])
    if approver is None or expiry is None:
        return "none"
    return "approved" if expiry >= as_of else "expired"


def _findings(third_parties: list[_ThirdParty]) -> list[Finding]:
    # Policyholders and policies of each (payer account, agent) pair.
    shared: dict[tuple[str, str], list[_ThirdParty]] = {}
    for item in third_parties:
        if item.agent_id is not None:
            shared.setdefault((item.premium_account, item.agent_id), []).append(item)

    findings: list[Finding] = []
    for item in third_parties:
        group = shared.get((item.premium_account, item.agent_id or ""), [item])
        holders = sorted({(cid, name) for g in group
                          for cid, name in zip(g.policyholder_ids, g.policyholder_names, strict=True)})
        is_shared = item.agent_id is not None and len({cid for cid, _ in holders}) >= SHARED_PAYER_MIN_POLICYHOLDERS
        account = mask_value("bank_account", item.premium_account)
        evidence: dict[str, Any] = {
            "premium_account": account,
            "payer_name": mask_value("name", item.payer_name) if item.payer_name else None,
            "payer_id_number": mask_value("id_number", item.payer_id_number) if item.payer_id_number else None,
            "policyholder_ids": list(item.policyholder_ids),
            "compared_by": item.compared_by,
            "exception": item.exception_status,
            "exception_expiry_date": item.exception_expiry_date,
            "shared_payer": is_shared,
        }
        holder_text = "、".join(item.policyholder_ids)
        zh = f"保单 {item.policy_no} 的缴费账号 {account} 非投保人（客户号 {holder_text}）本人账户"
        en = f"premium account {account} of policy {item.policy_no} is not held by the policyholder ({holder_text})"
        if item.exception_status == "expired":
            zh += f"，例外审批已于 {item.exception_expiry_date} 到期"
            en += f"; its payer exception expired on {item.exception_expiry_date}"
        else:
            zh += "，且无有效的例外审批"
            en += " and no approved, unexpired exception covers it"
        if is_shared:
            evidence["shared_payer_policyholders"] = [
                {"customer_id": cid, "name": mask_value("name", name) if name else None} for cid, name in holders
            ]
            evidence["shared_payer_policies"] = sorted(g.policy_no for g in group)
            zh += f"；该账户为营销员 {item.agent_id} 销售的 {len(holders)} 位投保人缴费"
            en += f"; the account pays for {len(holders)} policyholders of agent {item.agent_id}"
        findings.append(make_finding(
            RULE_CODE,
            (item.policy_no,),
            "high" if is_shared else "medium",
            zh,
            en,
            evidence,
            customer_id=item.policyholder_ids[0],
            policy_no=item.policy_no,
            agent_id=item.agent_id,
            channel=item.channel,
        ))
    return findings
