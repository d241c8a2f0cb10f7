"""The findings outputs of ``kycgraph run`` on the bundled sample export."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
from typer.testing import CliRunner

from kycgraph.cli import app
from kycgraph.report import FINDING_CSV_COLUMNS

SAMPLE = Path(__file__).resolve().parent.parent / "sample"
runner = CliRunner()


def run(out: Path, *options: str) -> dict[str, object]:
    result = runner.invoke(app, ["run", str(SAMPLE), "--out", str(out), *options])
    assert result.exit_code == 0, result.output
    document: dict[str, object] = json.loads((out / "findings.json").read_text(encoding="utf-8"))
    return document


def test_run_findings_json_counts(tmp_path: Path) -> None:
    document = run(tmp_path, "--as-of", "2026-12-04")
    assert document["finding_count"] == 17
    assert document["counts_by_rule"] == {
        "incomplete_key_fields": 2,
        "invalid_resident_id": 1,
        "id_gender_mismatch": 1,
        "id_birth_date_mismatch": 1,
        "id_truncated_by_spreadsheet": 1,
        "id_lowercase_x": 1,
        "agent_substituted_details": 3,
        "agent_is_policyholder": 1,
        "third_party_payer": 5,
        "repeat_offender_recheck": 1,
    }
    settings = document["settings"]
    assert isinstance(settings, dict)
    assert (settings["as_of"], settings["cooling_off_days"]) == ("2026-12-04", 15)


def test_run_as_of_expires_payer_exception(tmp_path: Path) -> None:
    # The sample's one unexpired payer exception is valid until 2027-06-30.
    document = run(tmp_path, "--as-of", "2027-07-01")
    counts = document["counts_by_rule"]
    assert isinstance(counts, dict)
    assert counts["third_party_payer"] == 6


def test_run_findings_csv_columns(tmp_path: Path) -> None:
    run(tmp_path, "--as-of", "2026-12-04")
    frame = pd.read_csv(tmp_path / "findings.csv", encoding="utf-8-sig", dtype=str)
    assert list(frame.columns) == FINDING_CSV_COLUMNS
    assert len(frame) == 17
    assert json.loads(frame.loc[0, "evidence"])["missing_fields"] == ["id_number"]


def test_run_findings_sheet_chinese_by_default(tmp_path: Path) -> None:
    run(tmp_path, "--as-of", "2026-12-04")
    workbook = openpyxl.load_workbook(tmp_path / "findings.xlsx")
    sheet = workbook["可疑客户资料问题件清单"]
    headers = [cell.value for cell in sheet[1]]
    assert headers == [
        "问题编号", "规则", "严重程度", "客户号", "保单号", "营销员代码", "销售渠道", "说明", "证据（已脱敏）",
    ]
    assert sheet.max_row == 18


def test_run_findings_sheet_english(tmp_path: Path) -> None:
    run(tmp_path, "--as-of", "2026-12-04", "--lang", "en")
    workbook = openpyxl.load_workbook(tmp_path / "findings.xlsx")
    assert "Findings" in workbook.sheetnames
    assert workbook["Findings"]["B2"].value == "Incomplete key fields"


def test_run_invalid_as_of_exit_code(tmp_path: Path) -> None:
    result = runner.invoke(app, ["run", str(SAMPLE), "--out", str(tmp_path), "--as-of", "2026/12/04"])
    assert result.exit_code == 2
    assert not (tmp_path / "findings.json").exists()
