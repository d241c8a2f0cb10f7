"""The finding: one suspicious or incomplete item that a detection rule reports.

Every rule except the shared-contact clusters returns a list of
:class:`Finding`. A finding names its subject (customer, policy, agent) and
carries a message in Chinese and English and an evidence dict whose personal
values (ID numbers, phones, bank accounts, addresses, names) are masked with
``kycgraph.masking.mask_value``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any, Literal

import numpy as np

Severity = Literal["high", "medium", "low", "warning"]

# Severities from the most to the least urgent, for sorting and summaries.
SEVERITIES: tuple[Severity, ...] = ("high", "medium", "low", "warning")


@dataclass(frozen=True)
class Finding:
    """One item a rule reports, with its subject, messages and masked evidence.

    ``finding_id`` is derived from the rule code and the subject ids only, so
    the same data gives the same id on every run and every store. Use
    :func:`make_finding` to build one.
    """

    finding_id: str
    rule: str
    severity: Severity
    message_zh: str
    message_en: str
    evidence: dict[str, Any] = field(default_factory=dict)
    customer_id: str | None = None
    policy_no: str | None = None
    agent_id: str | None = None
    channel: str | None = None

    def message(self, lang: Literal["zh", "en"] = "zh") -> str:
        return self.message_zh if lang == "zh" else self.message_en

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as plain JSON-ready values (dates as ISO text)."""
        return {key: _plain(value) for key, value in asdict(self).items()}


def finding_id_for(rule: str, subject: Sequence[str]) -> str:
    """Return a finding id from a rule code and its subject ids: ``F-`` and 16 hex digits."""
    text = "\x1f".join([rule, *subject])
    return "F-" + hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def make_finding(
    rule: str,
    subject: Sequence[str],
    severity: Severity,
    message_zh: str,
    message_en: str,
    evidence: dict[str, Any],
    *,
    customer_id: str | None = None,
    policy_no: str | None = None,
    agent_id: str | None = None,
    channel: str | None = None,
) -> Finding:
    """Build a finding whose id is derived from ``rule`` and ``subject``.

    ``subject`` is the tuple of ids that makes the finding unique within its
    rule, for example (customer, policy, role) for an incomplete record.
    """
    return Finding(
        finding_id=finding_id_for(rule, subject),
        rule=rule,
        severity=severity,
        message_zh=message_zh,
        message_en=message_en,
        evidence={key: _plain(value) for key, value in evidence.items()},
        customer_id=customer_id,
        policy_no=policy_no,
        agent_id=agent_id,
        channel=channel,
    )


def _plain(value: Any) -> Any:
    """Convert evidence values to JSON types: dates to ISO text, tuples to lists, NaN to None."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


# Readers of the values in store frames, which hold None, NaN, numpy scalars or
# ``datetime.date`` depending on the store.


def text_or_none(value: object) -> str | None:
    """Return a store value as stripped text, or None when it is missing or blank."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    text = str(value).strip()
    return text or None


def date_or_none(value: object) -> date | None:
    """Return a store value as a ``datetime.date``, or None when it is missing."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = text_or_none(value)
    return date.fromisoformat(text[:10]) if text else None


def is_true(value: object) -> bool:
    """Return whether a store value is a true flag; None and NaN are false."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return False
    return bool(value)
