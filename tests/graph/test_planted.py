"""Every planted case of the sample export is reported with its rule codes, and nothing else is, on every store."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from graph.networkx_store import NetworkxStore
from graph.rules import run_rules
from graph.rules.findings import Finding
from graph.store import GraphStore
from kycgraph.settings import Settings
from loaders.load import load_export

SAMPLE = Path(__file__).resolve().parents[2] / "sample"
PLANTED: dict[str, Any] = json.loads((SAMPLE / "planted.json").read_text(encoding="utf-8"))
AS_OF = date.fromisoformat(PLANTED["as_of"])
CASES: list[dict[str, Any]] = PLANTED["cases"]
# Shared-contact clusters are not findings of run_rules; their own tests check those cases.
CLUSTER_CODE = "shared_contact_cluster"


def run_on(store: GraphStore) -> list[Finding]:
    dataset, _, _ = load_export(SAMPLE)
    store.load(dataset)
    return run_rules(store, Settings(), AS_OF)


def cases_of(finding: Finding) -> list[str]:
    """Return the planted cases a finding is about: by its customer, else its policy, else its agent."""
    for field, ids in (("customer_id", "customer_ids"), ("policy_no", "policy_nos"), ("agent_id", "agent_ids")):
        value = getattr(finding, field)
        if value is not None:
            return [c["case_id"] for c in CASES if value in c[ids]]
    return []


@pytest.fixture
def sample_findings(store: GraphStore) -> list[Finding]:
    return run_on(store)


def test_planted_cases_reported_with_their_codes(sample_findings: list[Finding]) -> None:
    reported: dict[str, set[str]] = {c["case_id"]: set() for c in CASES}
    for finding in sample_findings:
        for case_id in cases_of(finding):
            reported[case_id].add(finding.rule)
    expected = {c["case_id"]: set(c["rule_codes"]) - {CLUSTER_CODE} for c in CASES}
    assert reported == expected


def test_planted_nothing_else_reported(sample_findings: list[Finding]) -> None:
    unplanted = [(f.rule, f.customer_id, f.policy_no, f.agent_id) for f in sample_findings if not cases_of(f)]
    assert unplanted == []


def test_planted_findings_identical_to_networkx(sample_findings: list[Finding]) -> None:
    reference = run_on(NetworkxStore())
    assert [f.to_dict() for f in sample_findings] == [f.to_dict() for f in reference]


def test_planted_finding_ids_unique(sample_findings: list[Finding]) -> None:
    ids = [f.finding_id for f in sample_findings]
    assert len(set(ids)) == len(ids)
