"""The kycgraph command end to end on the bundled sample export."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from api.state import ClusterFilters, StateDB
from kycgraph.cli import app

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample"
runner = CliRunner()


def planted_clusters(link_kinds: set[str]) -> list[set[str]]:
    cases = json.loads((SAMPLE / "planted.json").read_text(encoding="utf-8"))["cases"]
    key = "rule_codes_with_address_links" if "address" in link_kinds else "rule_codes"
    return [set(c["customer_ids"]) for c in cases if "shared_contact_cluster" in c.get(key, c["rule_codes"])]


def test_run_sample_writes_every_file(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(SAMPLE), "--out", str(tmp_path), "--lang", "en"])
    assert result.exit_code == 0, result.output
    for name in ("clusters.json", "clusters.csv", "hub_values.csv", "rejects.csv", "summary.csv", "findings.xlsx"):
        assert (tmp_path / name).is_file(), name
    assert "Every file balances" in result.output


def test_run_sample_finds_planted_clusters(tmp_path: Path) -> None:
    runner.invoke(app, ["run", str(SAMPLE), "--out", str(tmp_path)])
    document = json.loads((tmp_path / "clusters.json").read_text(encoding="utf-8"))
    found = [{m["customer_id"] for m in c["members"]} for c in document["clusters"]]
    expected = planted_clusters({"phone", "bank_account"})
    assert sorted(map(sorted, found)) == sorted(map(sorted, expected))


def test_run_sample_address_links_add_family(tmp_path: Path) -> None:
    runner.invoke(app, ["run", str(SAMPLE), "--out", str(tmp_path), "--link", "phone,bank_account,address"])
    document = json.loads((tmp_path / "clusters.json").read_text(encoding="utf-8"))
    found = [{m["customer_id"] for m in c["members"]} for c in document["clusters"]]
    assert sorted(map(sorted, found)) == sorted(map(sorted, planted_clusters({"address"})))


def test_run_sample_hub_values_listed(tmp_path: Path) -> None:
    runner.invoke(app, ["run", str(SAMPLE), "--out", str(tmp_path)])
    hubs = pd.read_csv(tmp_path / "hub_values.csv", dtype=str)
    assert hubs["customer_count"].astype(int).tolist() == sorted(hubs["customer_count"].astype(int), reverse=True)
    assert len(hubs) == 2
    assert int(hubs["customer_count"].iloc[0]) >= 20
    assert not hubs["key"].str.contains("00000000000").any()


def test_run_sample_rows_balance(tmp_path: Path) -> None:
    runner.invoke(app, ["run", str(SAMPLE), "--out", str(tmp_path)])
    summary = pd.read_csv(tmp_path / "summary.csv")
    assert (summary["rows_read"] == summary["rows_loaded"] + summary["rows_rejected"]).all()
    assert len(summary) == 7


def test_run_sample_ids_stable_across_runs(tmp_path: Path) -> None:
    ids = []
    for run_dir in ("a", "b"):
        runner.invoke(app, ["run", str(SAMPLE), "--out", str(tmp_path / run_dir)])
        document = json.loads((tmp_path / run_dir / "clusters.json").read_text(encoding="utf-8"))
        ids.append([c["cluster_id"] for c in document["clusters"]])
    assert ids[0] == ids[1]
    assert len(ids[0]) == 5


def test_run_workbook_headers_chinese_by_default(tmp_path: Path) -> None:
    runner.invoke(app, ["run", str(SAMPLE), "--out", str(tmp_path)])
    book = openpyxl.load_workbook(tmp_path / "findings.xlsx", read_only=True)
    assert "共用联系方式客户群" in book.sheetnames
    sheet = book["共用联系方式客户群"]
    header = next(sheet.iter_rows(values_only=True))
    assert header[0] == "客户群编号"


def test_run_missing_input_exit_code(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(tmp_path / "absent"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "input not found" in result.output


def test_run_missing_column_names_file_and_column(tmp_path: Path) -> None:
    (tmp_path / "customers.csv").write_text("客户姓名,联系电话\n张三,13912345678\n", encoding="utf-8")
    result = runner.invoke(app, ["run", str(tmp_path), "--out", str(tmp_path / "out"), "--lang", "en"])
    assert result.exit_code == 1
    assert "customers.csv" in result.output
    assert "customer_id" in result.output


def test_run_problem_list_dates_in_findings(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(SAMPLE), "--out", str(tmp_path), "--as-of", "2026-12-04", "--lang", "en"])
    assert result.exit_code == 0, result.output
    document = json.loads((tmp_path / "findings.json").read_text(encoding="utf-8"))
    assert document["settings"]["problem_list"] == {
        "detected_on": "2026-12-04",
        "issue_date": "2026-12-07",
        "investigation_due": "2026-12-10",
        "weekends_only_years": [],
    }
    assert "Problem list issued on 2026-12-07" in result.output


def test_detect_empty_store_publishes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KYCGRAPH_STATE_DIR", str(tmp_path / "state"))
    assert runner.invoke(app, ["run", str(SAMPLE), "--out", str(tmp_path / "run")]).exit_code == 0
    before = StateDB(tmp_path / "state").list_clusters(ClusterFilters(), limit=100).items

    result = runner.invoke(app, ["detect", "--out", str(tmp_path / "detect"), "--lang", "en"])
    assert result.exit_code == 1
    assert "The graph store (networkx) is empty, so nothing was detected or published" in result.output
    after = StateDB(tmp_path / "state").list_clusters(ClusterFilters(), limit=100).items
    assert [(item.item_id, item.status) for item in after] == [(item.item_id, item.status) for item in before]
    assert {item.status for item in after} == {"active"}


def test_error_keeps_square_brackets(tmp_path: Path) -> None:
    (tmp_path / "policies.csv").write_text("保单号\nP1\n", encoding="utf-8")
    result = runner.invoke(app, ["load", str(tmp_path), "--lang", "en"])
    assert result.exit_code == 1
    assert "[tables.customers]" in result.output
