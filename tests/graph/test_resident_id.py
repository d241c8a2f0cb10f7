"""Resident-ID checks, run on every store through the ``store`` fixture."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from graph.rules.resident_id import resident_id_findings
from graph.store import GraphStore

LoadTables = Callable[[dict[str, list[str]]], GraphStore]


def customer(id_number: str, gender: str, birth_date: str, id_type: str = "居民身份证") -> dict[str, list[str]]:
    return {"customers": [f"C1,张丽,{gender},{birth_date},{id_type},{id_number},13912345678,,"]}


@pytest.mark.parametrize(
    ("id_number", "gender", "birth_date", "expected"),
    [
        pytest.param("31010419851123124X", "女", "1985-11-23", [], id="valid-female"),
        pytest.param("310104198511231251", "男", "1985-11-23", ["invalid_resident_id"], id="wrong-check-character"),
        pytest.param("320106199902291230", "男", "1999-03-01", ["invalid_resident_id"], id="checksum-ok-no-such-date"),
        pytest.param("440305200002291240", "男", "2000-02-29", ["id_gender_mismatch"], id="female-id-recorded-male"),
        pytest.param("31010419851123124X", "女", "1985-11-24", ["id_birth_date_mismatch"], id="birth-date-differs"),
        pytest.param("310104198511231000", "男", "1985-11-23", ["id_truncated_by_spreadsheet"], id="truncated"),
        pytest.param("31010419851123124x", "女", "1985-11-23", ["id_lowercase_x"], id="lowercase-x"),
        pytest.param("990101198511231239", "男", "1985-11-23", ["id_unknown_region"], id="unknown-region"),
        pytest.param("310104851123125", "男", "1985-11-23", [], id="legacy-15-digits"),
        pytest.param("31010419851123124X", "", "", [], id="gender-and-birth-date-missing"),
    ],
)
def test_resident_id_rules(
    load_tables: LoadTables, id_number: str, gender: str, birth_date: str, expected: list[str]
) -> None:
    store = load_tables(customer(id_number, gender, birth_date))
    assert [f.rule for f in resident_id_findings(store)] == expected


def test_resident_id_wrong_check_character_names_expected(load_tables: LoadTables) -> None:
    store = load_tables(customer("310104198511231251", "男", "1985-11-23"))
    [finding] = resident_id_findings(store)
    assert finding.evidence == {
        "problem": "id_checksum", "id_number": "310104********1251", "expected_check_character": "8",
    }
    assert finding.severity == "high"
    assert finding.customer_id == "C1"


def test_resident_id_impossible_date_problem(load_tables: LoadTables) -> None:
    store = load_tables(customer("320106199902291230", "男", "1999-03-01"))
    [finding] = resident_id_findings(store)
    assert finding.evidence["problem"] == "id_birth_date"


def test_resident_id_gender_mismatch_evidence(load_tables: LoadTables) -> None:
    store = load_tables(customer("440305200002291240", "男", "2000-02-29"))
    [finding] = resident_id_findings(store)
    assert finding.evidence == {"id_number": "440305********1240", "recorded_gender": "M", "id_gender": "F"}
    assert "440305200002291240" not in finding.message_zh + finding.message_en


def test_resident_id_truncation_asks_for_text_export(load_tables: LoadTables) -> None:
    store = load_tables(customer("310104198511231000", "男", "1985-11-23"))
    [finding] = resident_id_findings(store)
    assert finding.severity == "medium"
    assert "re-export the column as text" in finding.message_en
    assert "文本格式后重新导出" in finding.message_zh
    assert finding.evidence == {"problem": "id_truncated"}


@pytest.mark.parametrize(
    ("id_number", "expected_severity"),
    [
        pytest.param("31010419851123124x", "low", id="lowercase-x"),
        pytest.param("990101198511231239", "warning", id="unknown-region"),
    ],
)
def test_resident_id_minor_severities(load_tables: LoadTables, id_number: str, expected_severity: str) -> None:
    gender = "女" if id_number.endswith("x") else "男"
    store = load_tables(customer(id_number, gender, "1985-11-23"))
    assert [f.severity for f in resident_id_findings(store)] == [expected_severity]


def test_resident_id_other_documents_not_checked(load_tables: LoadTables) -> None:
    store = load_tables(customer("E12345678", "男", "1985-11-23", id_type="护照"))
    assert resident_id_findings(store) == []
