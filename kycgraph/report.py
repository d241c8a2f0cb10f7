"""Write a run's results: clusters and findings (JSON, CSV), hub values, rejects and the findings workbook."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from graph.rules import RULES, rule_name
from graph.rules.findings import Finding
from graph.rules.shared_contacts import ClusterResult
from kycgraph.i18n import Lang, t, vocabulary
from loaders.rejects import LoadReport


@dataclass(frozen=True)
class RunOutputs:
    """Paths of the files one run wrote."""

    clusters_json: Path
    clusters_csv: Path
    hub_values_csv: Path
    rejects_csv: Path
    summary_csv: Path
    workbook: Path
    findings_json: Path
    findings_csv: Path

    def all(self) -> list[Path]:
        return [self.clusters_json, self.clusters_csv, self.findings_json, self.findings_csv, self.hub_values_csv,
                self.rejects_csv, self.summary_csv, self.workbook]


def clusters_frame(result: ClusterResult, lang: Lang = "zh") -> pd.DataFrame:
    """Return one row per cluster member, with the cluster's evidence on every row."""
    rows: list[dict[str, Any]] = []
    for cluster in result.clusters:
        evidence = "; ".join(
            f"{vocabulary('kind', e.kind, lang)} {e.key_masked}: {', '.join(e.customer_ids)}"
            for e in cluster.evidence
        )
        for member in cluster.members:
            rows.append({
                "cluster_id": cluster.cluster_id,
                "size": cluster.size,
                "customer_id": member.customer_id,
                "name": member.name or "",
                "roles": ", ".join(vocabulary("role", r, lang) for r in member.roles),
                "policies": ", ".join(sorted({str(p["policy_no"]) for p in member.policies})),
                "agents": ", ".join(sorted({str(p["agent_id"]) for p in member.policies if p.get("agent_id")})),
                "channels": ", ".join(vocabulary("channel", c, lang) for c in cluster.channels),
                "link_kinds": ", ".join(vocabulary("kind", k, lang) for k in cluster.link_kinds),
                "evidence": evidence,
            })
    columns = ["cluster_id", "size", "customer_id", "name", "roles", "policies", "agents", "channels",
               "link_kinds", "evidence"]
    return pd.DataFrame(rows, columns=columns)


def hub_values_frame(result: ClusterResult, hub_threshold: int, lang: Lang = "zh") -> pd.DataFrame:
    rows = [
        {
            "kind": vocabulary("kind", h.kind, lang),
            "key": h.key_masked,
            "customer_count": h.customer_count,
            "reason": t(f"reason.{h.reason}", lang, threshold=hub_threshold),
        }
        for h in result.hub_values
    ]
    return pd.DataFrame(rows, columns=["kind", "key", "customer_count", "reason"])


# Columns of findings.csv: canonical names, both messages, and the evidence as JSON.
FINDING_CSV_COLUMNS = [
    "finding_id", "rule", "severity", "customer_id", "policy_no", "agent_id", "channel",
    "message_zh", "message_en", "evidence",
]


def findings_csv_frame(findings: Sequence[Finding]) -> pd.DataFrame:
    """Return one row per finding with canonical values, both messages and the evidence as JSON text."""
    rows = [
        {
            **{column: getattr(f, column) for column in FINDING_CSV_COLUMNS if column != "evidence"},
            "evidence": json.dumps(f.to_dict()["evidence"], ensure_ascii=False, sort_keys=True),
        }
        for f in findings
    ]
    return pd.DataFrame(rows, columns=FINDING_CSV_COLUMNS)


def findings_frame(findings: Sequence[Finding], lang: Lang = "zh") -> pd.DataFrame:
    """Return one row per finding for the workbook: rule name, severity and message in ``lang``."""
    rows = [
        {
            "finding_id": f.finding_id,
            "rule_name": rule_name(f.rule, lang),
            "severity": t(f"severity.{f.severity}", lang),
            "customer_id": f.customer_id or "",
            "policy_no": f.policy_no or "",
            "agent_id": f.agent_id or "",
            "channel": vocabulary("channel", f.channel, lang) if f.channel else "",
            "message": f.message(lang),
            "finding_evidence": json.dumps(f.to_dict()["evidence"], ensure_ascii=False, sort_keys=True),
        }
        for f in findings
    ]
    columns = ["finding_id", "rule_name", "severity", "customer_id", "policy_no", "agent_id", "channel", "message",
               "finding_evidence"]
    return pd.DataFrame(rows, columns=columns)


def findings_document(findings: Sequence[Finding], settings_used: dict[str, Any]) -> dict[str, Any]:
    """Return the content of findings.json: the settings, counts by rule code and every finding."""
    counts = Counter(f.rule for f in findings)
    return {
        "settings": settings_used,
        "finding_count": len(findings),
        "counts_by_rule": {rule.code: counts[rule.code] for rule in RULES if counts[rule.code]},
        "findings": [f.to_dict() for f in findings],
    }


def _localise(frame: pd.DataFrame, lang: Lang) -> pd.DataFrame:
    return frame.rename(columns={c: t(f"col.{c}", lang) for c in frame.columns})


def write_outputs(
    out_dir: Path,
    result: ClusterResult,
    report: LoadReport,
    *,
    settings_used: dict[str, Any],
    lang: Lang = "zh",
    findings: Sequence[Finding] = (),
) -> RunOutputs:
    """Write every output file of a run into ``out_dir`` (created if missing).

    ``findings`` are the results of ``graph.rules.run_rules``; they go to
    findings.json, findings.csv and a sheet of the workbook.

    CSV files are UTF-8 with BOM so that Excel opens the Chinese text
    correctly; CSV column names are the canonical English ones, while the
    workbook's headers and sheet names follow ``lang``.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    outputs = RunOutputs(
        clusters_json=out_dir / "clusters.json",
        clusters_csv=out_dir / "clusters.csv",
        hub_values_csv=out_dir / "hub_values.csv",
        rejects_csv=out_dir / "rejects.csv",
        summary_csv=out_dir / "summary.csv",
        workbook=out_dir / "findings.xlsx",
        findings_json=out_dir / "findings.json",
        findings_csv=out_dir / "findings.csv",
    )
    document = {
        "settings": settings_used,
        "cluster_count": len(result.clusters),
        "customers_in_clusters": result.customers_in_clusters,
        "clusters": [c.to_dict() for c in result.clusters],
        "hub_values": [
            {"kind": h.kind, "key": h.key_masked, "customer_count": h.customer_count, "reason": h.reason}
            for h in result.hub_values
        ],
    }
    outputs.clusters_json.write_text(json.dumps(document, ensure_ascii=False, indent=2, default=str) + "\n",
                                     encoding="utf-8")
    outputs.findings_json.write_text(
        json.dumps(findings_document(findings, settings_used), ensure_ascii=False, indent=2, default=str) + "\n",
        encoding="utf-8",
    )
    findings_csv_frame(findings).to_csv(outputs.findings_csv, index=False, encoding="utf-8-sig")
    clusters = clusters_frame(result, lang)
    hubs = hub_values_frame(result, int(settings_used.get("hub_threshold", 0)), lang)
    rejects = report.rejects_frame()
    summary = report.summary_frame()
    clusters.to_csv(outputs.clusters_csv, index=False, encoding="utf-8-sig")
    hubs.to_csv(outputs.hub_values_csv, index=False, encoding="utf-8-sig")
    rejects.to_csv(outputs.rejects_csv, index=False, encoding="utf-8-sig")
    summary.to_csv(outputs.summary_csv, index=False, encoding="utf-8-sig")

    rejects_view = rejects.assign(
        message=rejects["message_zh"] if lang == "zh" else rejects["message_en"],
        action=[t(f"action.{a}", lang) for a in rejects["action"]],
    )[["file", "row", "column", "problem", "message", "value", "action"]]
    with pd.ExcelWriter(outputs.workbook, engine="openpyxl") as writer:
        sheets = (
            ("sheet.summary", summary),
            ("sheet.clusters", clusters),
            ("sheet.findings", findings_frame(findings, lang)),
            ("sheet.hubs", hubs),
            ("sheet.rejects", rejects_view),
        )
        for sheet_key, frame in sheets:
            _localise(frame, lang).to_excel(writer, sheet_name=t(sheet_key, lang)[:31], index=False)
    return outputs
