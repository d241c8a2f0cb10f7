"""Detection rules; each runs on any ``graph.store.GraphStore``.

:func:`run_rules` runs every authenticity rule that returns
:class:`~graph.rules.findings.Finding` objects. Shared-contact clusters
(``graph.rules.shared_contacts``) have their own result type and output
files and are run separately.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from graph.rules.agent_substitution import agent_is_policyholder, agent_substituted_details
from graph.rules.completeness import incomplete_key_fields
from graph.rules.findings import Finding
from graph.rules.repeat_offender import repeat_offender_rechecks
from graph.rules.resident_id import resident_id_findings
from graph.rules.third_party_payer import third_party_payers
from graph.store import GraphStore
from kycgraph.settings import Settings

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RuleInfo:
    """A rule code with its names in Chinese and English."""

    code: str
    name_zh: str
    name_en: str


# Every rule code, in the order reports list them.
RULES: tuple[RuleInfo, ...] = (
    RuleInfo("shared_contact_cluster", "共用联系方式客户群", "Shared-contact cluster"),
    RuleInfo("incomplete_key_fields", "关键信息不完整", "Incomplete key fields"),
    RuleInfo("invalid_resident_id", "身份证号码无效", "Invalid resident ID"),
    RuleInfo("id_gender_mismatch", "性别与身份证号码不符", "Gender disagrees with the resident ID"),
    RuleInfo("id_birth_date_mismatch", "出生日期与身份证号码不符", "Birth date disagrees with the resident ID"),
    RuleInfo("id_truncated_by_spreadsheet", "身份证号码被电子表格截断", "Resident ID truncated by a spreadsheet"),
    RuleInfo("id_lowercase_x", "身份证号码末位为小写 x", "Resident ID with a lowercase x"),
    RuleInfo("id_unknown_region", "身份证号码行政区划代码未知", "Unknown region code in the resident ID"),
    RuleInfo("agent_substituted_details", "业务员代填联系方式", "Agent-substituted details"),
    RuleInfo("agent_is_policyholder", "营销员本人投保", "Agent is the policyholder"),
    RuleInfo("third_party_payer", "非投保人账户缴费", "Third-party payer account"),
    RuleInfo("repeat_offender_recheck", "销售误导投诉屡经查实，须复核", "Repeat-offender re-check"),
)
RULES_BY_CODE: dict[str, RuleInfo] = {rule.code: rule for rule in RULES}

_RULE_ORDER = {rule.code: index for index, rule in enumerate(RULES)}
# Findings of these severities make a policy's callback due in the repeat-offender re-check.
_CALLBACK_SEVERITIES = ("high", "medium")


def rule_name(code: str, lang: str = "zh") -> str:
    """Return the name of a rule code in ``lang`` (zh or en); an unknown code is returned as it is."""
    rule = RULES_BY_CODE.get(code)
    if rule is None:
        return code
    return rule.name_zh if lang == "zh" else rule.name_en


def run_rules(store: GraphStore, settings: Settings, as_of: date) -> list[Finding]:
    """Run every finding rule on a store and return the findings in report order.

    Steps:

    1. Key-field completeness, resident-ID checks, agent-substituted details,
       agents who are their own policyholder, and third-party payers
       (exceptions checked against ``as_of``).
    2. The repeat-offender re-check, with ``settings.cooling_off_days``. A
       policy's callback is also due when step 1 reported the policy or one
       of its customers with high or medium severity.

    Findings are sorted by rule (the order of :data:`RULES`), then customer,
    policy, agent and finding id, so the same data gives the same list.
    """
    # 1. Rules on customers, policies and payers.
    findings: list[Finding] = []
    findings += incomplete_key_fields(store)
    findings += resident_id_findings(store)
    findings += agent_substituted_details(store)
    findings += agent_is_policyholder(store)
    findings += third_party_payers(store, as_of)

    # 2. Re-check of repeat offenders, marking policies that step 1 reported.
    serious = [f for f in findings if f.severity in _CALLBACK_SEVERITIES]
    findings += repeat_offender_rechecks(
        store,
        as_of,
        cooling_off_days=settings.cooling_off_days,
        flagged_policies={f.policy_no for f in serious if f.policy_no},
        flagged_customers={f.customer_id for f in serious if f.customer_id},
    )

    findings.sort(key=lambda f: (
        _RULE_ORDER.get(f.rule, len(_RULE_ORDER)), f.customer_id or "", f.policy_no or "", f.agent_id or "",
        f.finding_id,
    ))
    logger.info("authenticity rules: %d findings", len(findings))
    return findings
