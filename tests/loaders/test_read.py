"""Reading exports: encodings, identifier columns as text, null markers, row accounting."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from kycgraph.errors import EncodingError, InputError, MissingColumnsError
from loaders.load import load_export
from loaders.read import read_table

HEADER = "客户号,客户姓名,联系电话,银行账号\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_read_bom_keeps_first_header(tmp_path: Path) -> None:
    path = write(tmp_path / "customers.csv", HEADER + "C1,张三,13912345678,\n", "utf-8-sig")
    table = read_table(path)
    assert table.frame.columns[0] == "客户号"
    assert table.encoding == "utf-8-sig"


def test_read_bom_header_customer_name_intact(tmp_path: Path) -> None:
    path = write(tmp_path / "customers.csv", "客户姓名,客户号\n张三,C1\n", "utf-8-sig")
    assert list(read_table(path).frame.columns) == ["客户姓名", "客户号"]


def test_read_gb18030_detected(tmp_path: Path) -> None:
    path = write(tmp_path / "customers.csv", HEADER + "C1,欧阳䶮,13912345678,\n", "gb18030")
    table = read_table(path)
    assert table.encoding == "gb18030"
    assert table.frame.iloc[0]["客户姓名"] == "欧阳䶮"


def test_read_gbk_label_decodes_as_gb18030(tmp_path: Path) -> None:
    # 䶮 is outside GBK; a file labelled GBK must still decode it instead of replacing it.
    path = write(tmp_path / "customers.csv", HEADER + "C1,刘䶮,13912345678,\n", "gb18030")
    table = read_table(path, encoding="gbk")
    assert table.frame.iloc[0]["客户姓名"] == "刘䶮"


def test_read_undecodable_bytes_name_line(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(HEADER.encode("utf-8") + b"C1,\xff\xfe\xfa,139,\n")
    with pytest.raises(EncodingError, match="line 2"):
        read_table(path, encoding="utf-8")


def test_read_unsupported_suffix(tmp_path: Path) -> None:
    path = write(tmp_path / "customers.json", "{}")
    with pytest.raises(InputError, match="unsupported file type"):
        read_table(path)


def test_load_19_digit_account_keeps_every_digit(tmp_path: Path) -> None:
    write(tmp_path / "customers.csv", HEADER + "C1,张三,13912345678,6222021234567890123\nC2,李四,13912345679,\n"
          "C3,王五,13912345670,NA\n")
    dataset, report, _ = load_export(tmp_path)
    accounts = dataset.identifiers[dataset.identifiers["kind"] == "bank_account"]
    assert accounts["key"].tolist() == ["6222021234567890123"]
    assert report.files[0].rows_loaded == 3


def test_load_blank_and_na_never_link(tmp_path: Path) -> None:
    write(tmp_path / "customers.csv", HEADER + "C1,张三,,NA\nC2,李四,NA,\nC3,王五,无,null\n")
    dataset, report, _ = load_export(tmp_path)
    assert dataset.identifiers.empty
    assert report.rejects == []


def test_load_xlsx_number_cell_account_rejected_not_rounded(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["客户号", "客户姓名", "银行账号"])
    sheet.append(["C1", "张三", 6.222021234567891e18])
    sheet.append(["C2", "李四", "6222021234567890123"])
    book.save(tmp_path / "customers.xlsx")
    dataset, report, _ = load_export(tmp_path)
    assert dataset.identifiers["key"].tolist() == ["6222021234567890123"]
    assert [(r.row, r.column, r.problem) for r in report.rejects] == [(2, "银行账号", "number_cell")]


def test_load_parquet_reads_text_columns(tmp_path: Path) -> None:
    frame = pd.DataFrame({"customer_id": ["C1", "C2"], "phone": ["13912345678", "13912345678"]})
    frame.to_parquet(tmp_path / "customers.parquet")
    dataset, _, _ = load_export(tmp_path)
    assert sorted(dataset.identifiers["owner_id"]) == ["C1", "C2"]


def test_load_missing_required_column_lists_it(tmp_path: Path) -> None:
    write(tmp_path / "customers.csv", "客户姓名,联系电话\n张三,13912345678\n")
    with pytest.raises(MissingColumnsError, match="customer_id"):
        load_export(tmp_path)


def test_load_rows_balance_with_rejects(tmp_path: Path) -> None:
    rows = "C1,张三,13912345678,\n,无名,13912345679,\nC1,重复,13912345670,\nC4,赵六,abc,\n"
    write(tmp_path / "customers.csv", HEADER + rows)
    _, report, _ = load_export(tmp_path)
    summary = report.files[0]
    assert (summary.rows_read, summary.rows_loaded, summary.rows_rejected) == (4, 2, 2)
    assert summary.is_balanced
    problems = sorted((r.row, r.problem, r.action) for r in report.rejects)
    assert problems == [
        (3, "missing_key", "row_rejected"),
        (4, "duplicate_key", "row_rejected"),
        (5, "invalid_phone", "field_ignored"),
    ]


def test_load_reject_messages_mask_phone(tmp_path: Path) -> None:
    write(tmp_path / "customers.csv", HEADER + "C1,张三,1391234567899999,\n")
    _, report, _ = load_export(tmp_path)
    assert report.rejects, "an overlong phone must be reported"
    assert "1391234567899999" not in report.rejects[0].value


def test_load_policy_role_unknown_customer_rejected(tmp_path: Path) -> None:
    write(tmp_path / "customers.csv", HEADER + "C1,张三,13912345678,\n")
    write(tmp_path / "policy_roles.csv", "保单号,客户号,角色\nP1,C1,投保人\nP1,C9,被保险人\nP2,C1,朋友\n")
    dataset, report, _ = load_export(tmp_path)
    assert dataset.policy_roles[["policy_no", "customer_id", "role"]].values.tolist() == [["P1", "C1", "policyholder"]]
    roles = next(f for f in report.files if f.table == "policy_roles")
    assert (roles.rows_read, roles.rows_loaded, roles.rows_rejected) == (3, 1, 2)
