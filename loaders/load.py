"""Turn an export into a validated, normalised :class:`~graph.model.Dataset`.

The pipeline, per table:

1. Read the file's cells untouched (``loaders.read``).
2. Map its headers onto the canonical columns (``loaders.mapping``).
3. Convert each cell by its column kind and normalise identifiers, keeping
   the original value beside the key.
4. Reject rows whose key is missing, duplicated or points at a record that
   was not loaded, and record every unusable field, so that each file's
   ``rows read = rows loaded + rows rejected``.

Tables are loaded in dependency order (customers and agents before the
tables that refer to them), so that references can be checked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from graph.model import (
    AGENT_COLUMNS,
    AGENT_CONTACT_COLUMNS,
    COMPLAINT_COLUMNS,
    CUSTOMER_COLUMNS,
    IDENTIFIER_COLUMNS,
    PAYER_EXCEPTION_COLUMNS,
    POLICY_COLUMNS,
    POLICY_ROLE_COLUMNS,
    Dataset,
)
from kycgraph.masking import mask_value
from kycgraph.settings import DEFAULT_PHONE_DENYLIST
from loaders import normalise
from loaders.mapping import Mapping, TableSource, load_mapping, map_headers
from loaders.read import read_table
from loaders.rejects import FileSummary, LoadReport, Reject
from loaders.schema import TABLES, Column, Table

logger = logging.getLogger(__name__)

# Load order: a table's references must already be loaded.
_LOAD_ORDER = (
    "customers",
    "agents",
    "agent_contacts",
    "policies",
    "policy_roles",
    "complaints",
    "payer_exceptions",
)

# Messages of problems found by this module, as (Chinese, English).
_MESSAGES: dict[str, tuple[str, str]] = {
    "missing_key": (
        "必填字段为空，整行无法载入；请补充后重新导出",
        "required value is blank, so the row cannot be loaded; fill it in and re-export",
    ),
    "duplicate_key": (
        "主键重复，保留首次出现的行；请核对并删除重复行",
        "duplicate key; the first row with this key was kept; check and remove the duplicate",
    ),
    "unknown_customer": (
        "引用的客户号不存在于客户表；请核对客户号",
        "refers to a customer number that is not in the customers table; check the customer number",
    ),
    "unknown_policy": (
        "引用的保单号不存在于保单表；请核对保单号",
        "refers to a policy number that is not in the policies table; check the policy number",
    ),
    "unknown_agent": (
        "引用的营销员代码不存在于营销员表；请核对代码",
        "refers to an agent code that is not in the agents table; check the agent code",
    ),
    "invalid_value": ("取值无法识别", "value not recognised"),
    "invalid_date": ("日期无法识别，应为 YYYY-MM-DD", "date not recognised; expected YYYY-MM-DD"),
    "invalid_int": ("应为整数", "expected a whole number"),
    "extra_cells": (
        "该行单元格数多于表头，可能是未加引号的分隔符；请检查该行",
        "row has more cells than the header, probably an unquoted delimiter; check the row",
    ),
}

_SENSITIVE_KINDS = {"id_number", "phone", "bank_account"}


@dataclass
class _Table:
    """Rows converted so far for one canonical table."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    identifiers: list[dict[str, Any]] = field(default_factory=list)


class _Converter:
    """Convert cells by column kind, caching identifier normalisation by value."""

    def __init__(self, default_region: str, phone_denylist: Iterable[str]) -> None:
        self.default_region = default_region
        self.phone_denylist = tuple(phone_denylist)
        self._cache: dict[tuple[str, Any], normalise.Normalised] = {}

    def identifier(self, kind: str, value: object) -> normalise.Normalised:
        cache_key = (kind, value if isinstance(value, str) else repr(value))
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        result: normalise.Normalised
        if kind == "phone":
            result = normalise.normalise_phone(value, self.default_region, self.phone_denylist)
        elif kind == "bank_account":
            result = normalise.normalise_bank_account(value)
        elif kind == "address":
            result = normalise.normalise_address(value)
        elif kind == "email":
            result = normalise.normalise_email(value)
        else:
            result = normalise.normalise_identifier(value)
        self._cache[cache_key] = result
        return result


def _display(kind: str, value: object) -> str:
    text = "" if value is None else str(value)
    return mask_value(kind, text) if kind in _SENSITIVE_KINDS and text else text[:80]


class _Loader:
    """Load one export; holds the report and the keys loaded so far."""

    def __init__(self, mapping: Mapping, converter: _Converter) -> None:
        self.mapping = mapping
        self.converter = converter
        self.report = LoadReport()
        self.tables: dict[str, _Table] = {}
        self.keys: dict[str, set[str]] = {}

    def reject(
        self,
        summary: FileSummary,
        row: int,
        column: str,
        problem: str,
        value: object,
        kind: str = "text",
        *,
        row_rejected: bool,
        detail: tuple[str, str] | None = None,
    ) -> None:
        zh, en = detail or _MESSAGES.get(problem) or normalise.PROBLEMS.get(problem, (problem, problem))
        self.report.add(
            Reject(
                file=summary.file,
                row=row,
                column=column,
                problem=problem,
                message_zh=zh,
                message_en=en,
                value=_display(kind, value),
                action="row_rejected" if row_rejected else "field_ignored",
            )
        )
        if not row_rejected:
            summary.fields_ignored += 1

    def load_table(self, source: TableSource) -> None:
        table = TABLES[source.table]
        raw = read_table(source.file, encoding=source.encoding, sheet=source.sheet, delimiter=source.delimiter)
        mapped = map_headers(raw.frame, table, source, raw.name)
        summary = FileSummary(
            file=raw.name, table=table.name, rows_read=len(raw.frame), encoding=raw.encoding,
            ignored_columns=mapped.ignored,
        )
        self.report.files.append(summary)
        if mapped.ignored:
            logger.info("%s: columns not mapped and not loaded: %s", raw.name, ", ".join(mapped.ignored))
        extra_rows = set(raw.frame.attrs.get("extra_cells", []))
        converted = self.tables.setdefault(table.name, _Table())
        seen: dict[tuple[str, ...], int] = {}
        headers = {column: header for column, header in mapped.canonical.items()}
        records = raw.frame.to_dict("records")

        for index, cells in enumerate(records):
            row_number = raw.first_row + index
            if index in extra_rows:
                self.reject(summary, row_number, "", "extra_cells", "", row_rejected=True)
                summary.rows_rejected += 1
                continue
            row = self._convert_row(table, cells, headers, summary, row_number)
            if row is None:
                summary.rows_rejected += 1
                continue
            key = tuple(str(row.get(k) or "") for k in table.key)
            if key in seen:
                self.reject(
                    summary, row_number, headers.get(table.key[0], table.key[0]), "duplicate_key",
                    "/".join(key), row_rejected=True,
                    detail=(
                        f"主键重复（首次出现在第 {seen[key]} 行），保留首行；请删除重复行",
                        f"duplicate key (first seen at row {seen[key]}); the first row was kept; "
                        "remove the duplicate",
                    ),
                )
                summary.rows_rejected += 1
                continue
            if not self._check_references(table, row, headers, summary, row_number):
                summary.rows_rejected += 1
                continue
            seen[key] = row_number
            row["source_file"] = raw.name
            row["source_row"] = row_number
            converted.rows.append(row)
            self._collect_identifiers(table, row, cells, headers, mapped.identifiers, summary, row_number)
            summary.rows_loaded += 1
        self.keys[table.name] = {"/".join(k) for k in seen}
        logger.info(
            "%s: %d read, %d loaded, %d rejected, %d fields ignored",
            raw.name, summary.rows_read, summary.rows_loaded, summary.rows_rejected, summary.fields_ignored,
        )

    def _convert_row(
        self, table: Table, cells: dict[Any, Any], headers: dict[str, str], summary: FileSummary, row_number: int
    ) -> dict[str, Any] | None:
        row: dict[str, Any] = {}
        for column in table.columns:
            header = headers.get(column.name)
            value = cells.get(header) if header is not None else None
            if column.kind in ("phone", "bank_account", "address", "email", "identifier"):
                continue  # identifiers are collected after the row is accepted
            if column.kind == "id_number":
                continue  # needs the row's id_type, converted below
            if normalise.is_missing(value):
                if column.required:
                    self.reject(summary, row_number, header or column.name, "missing_key", "", row_rejected=True)
                    return None
                row[column.name] = None
                continue
            try:
                row[column.name] = _convert_scalar(column, value)
            except ValueError as exc:
                problem = {"date": "invalid_date", "int": "invalid_int"}.get(column.kind, "invalid_value")
                # The parsers' messages are English and list every accepted form.
                detail = (_MESSAGES[problem][0] + _accepted_forms_zh(str(exc)), str(exc))
                self.reject(summary, row_number, header or column.name, problem, value,
                            row_rejected=column.required, detail=detail)
                if column.required:
                    return None
                row[column.name] = None
        for column in table.columns:
            if column.kind == "id_number":
                self._convert_id(row, column, cells, headers, summary, row_number)
        return row

    def _convert_id(
        self, row: dict[str, Any], column: Column, cells: dict[Any, Any], headers: dict[str, str],
        summary: FileSummary, row_number: int,
    ) -> None:
        header = headers.get(column.name)
        value = cells.get(header) if header is not None else None
        if normalise.is_missing(value):
            row[column.name] = None
            if column.name == "id_number":
                row["id_problem"] = None
                row["id_flags"] = ""
            return
        result = normalise.normalise_id_number(value, row.get("id_type") or "resident_id")
        row[column.name] = result.key
        if column.name == "id_number":
            row["id_problem"] = result.problem
            row["id_flags"] = ",".join(result.flags)
        elif result.problem is not None:
            self.reject(summary, row_number, header or column.name, result.problem, value, "id_number",
                        row_rejected=False)
            row[column.name] = None

    def _check_references(
        self, table: Table, row: dict[str, Any], headers: dict[str, str], summary: FileSummary, row_number: int
    ) -> bool:
        checks = (
            ("customer_id", "customers", "unknown_customer"),
            ("policy_no", "policies", "unknown_policy"),
            ("agent_id", "agents", "unknown_agent"),
        )
        for column, target, problem in checks:
            if column not in table.by_name or table.name == target or target not in self.keys:
                continue
            value = row.get(column)
            if value is None or str(value) in self.keys[target]:
                continue
            required = table.by_name[column].required
            self.reject(summary, row_number, headers.get(column, column), problem, value, row_rejected=required)
            if required:
                return False
        return True

    def _collect_identifiers(
        self, table: Table, row: dict[str, Any], cells: dict[Any, Any], headers: dict[str, str],
        extra: dict[str, str], summary: FileSummary, row_number: int,
    ) -> None:
        owner = _owner(table.name, row)
        columns: list[tuple[str, str, str]] = [
            (column.name, column.kind if column.kind != "identifier" else column.name, headers[column.name])
            for column in table.columns
            if column.kind in ("phone", "bank_account", "address", "email", "identifier") and column.name in headers
        ]
        columns += [(header, kind, header) for header, kind in extra.items()]
        for name, kind, header in columns:
            value = cells.get(header)
            if normalise.is_missing(value):
                row.setdefault(name, None)
                continue
            result = self.converter.identifier(kind, value)
            if result.key is None:
                self.reject(summary, row_number, header, result.problem or "invalid_value", value, kind,
                            row_rejected=False)
                row.setdefault(name, None)
                continue
            if owner is None:
                row[name] = result.key  # a policy's premium account lives on the policy
                row.setdefault(f"{name}_flags", ",".join(result.flags))
                continue
            row.setdefault(name, result.key)
            if kind == "address":
                province, city, district = normalise.split_address(result.key)
                row.setdefault("province", province)
                row.setdefault("city", city)
                row.setdefault("district", district)
            self.tables[table.name].identifiers.append({
                "owner_type": owner[0],
                "owner_id": owner[1],
                "kind": kind,
                "key": result.key,
                "value": result.original,
                "linkable": result.linkable,
                "flags": ",".join(result.flags),
                "extension": result.extension,
                "source_file": summary.file,
                "source_row": row_number,
                "column": header,
            })


def _accepted_forms_zh(message: str) -> str:
    """Return the accepted values listed in a parser's English message, for the Chinese text."""
    _, found, forms = message.partition("expected one of: ")
    return f"；可接受的取值：{forms}" if found else ""


def _owner(table: str, row: dict[str, Any]) -> tuple[str, str] | None:
    if table == "customers":
        return ("customer", str(row["customer_id"]))
    if table == "agents":
        return ("agent", str(row["agent_id"]))
    if table == "agent_contacts":
        return ("agent_contact", f"{row['agent_id']}/{row['source_row']}")
    return None


_VOCABULARIES: dict[str, Callable[[object], object]] = {
    "gender": normalise.parse_gender,
    "role": normalise.parse_role,
    "channel": normalise.parse_channel,
    "agent_type": normalise.parse_agent_type,
    "contact_type": normalise.parse_contact_type,
    "id_type": normalise.parse_id_type,
    "flag": normalise.parse_flag,
}


def _convert_scalar(column: Column, value: object) -> object:
    if column.kind in ("text", "key"):
        text = normalise.clean_text(value)
        if column.kind == "key" and isinstance(value, float) and value.is_integer():
            text = str(int(value))
        return text
    if column.kind == "date":
        parsed: date | None = normalise.parse_date(value)
        return parsed
    if column.kind == "int":
        text = normalise.clean_text(value) or ""
        try:
            return int(float(text)) if text.replace(".", "", 1).isdigit() else int(text)
        except ValueError as exc:
            raise ValueError(f"{text!r} is not a whole number") from exc
    return _VOCABULARIES[column.kind](value)


def load_export(
    input_path: Path,
    mapping_file: Path | None = None,
    *,
    default_region: str = "CN",
    phone_denylist: Iterable[str] = DEFAULT_PHONE_DENYLIST,
) -> tuple[Dataset, LoadReport, Mapping]:
    """Read, map, normalise and validate an export folder or file.

    Args:
        input_path: the export folder, or one customers file.
        mapping_file: optional TOML mapping (``loaders.mapping``).
        default_region: region for phones without a country code; the mapping
            file's ``default_region`` takes precedence.
        phone_denylist: placeholder phone numbers, flagged ``placeholder``.

    Returns:
        The dataset of loaded rows, the report of rejects and per-file counts,
        and the resolved mapping (for its link settings).

    Raises:
        InputError, EncodingError, MissingColumnsError, ConfigError: a file
            cannot be read or mapped at all. Row problems never raise.
    """
    mapping = load_mapping(input_path, mapping_file)
    converter = _Converter(mapping.default_region or default_region, phone_denylist)
    loader = _Loader(mapping, converter)
    for name in _LOAD_ORDER:
        source = mapping.sources.get(name)
        if source is not None:
            loader.load_table(source)
    dataset = _build_dataset(loader.tables)
    return dataset, loader.report, mapping


def _frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=columns, dtype=object) if rows else pd.DataFrame(columns=columns, dtype=object)
    return frame.astype(object).where(frame.notna(), None)


def _build_dataset(tables: dict[str, _Table]) -> Dataset:
    def rows(name: str) -> list[dict[str, Any]]:
        return tables[name].rows if name in tables else []

    contacts = rows("agent_contacts")
    for contact in contacts:
        contact["contact_id"] = f"{contact['agent_id']}/{contact['source_row']}"
    identifiers: list[dict[str, Any]] = []
    for name in ("customers", "agents", "agent_contacts"):
        if name in tables:
            identifiers.extend(tables[name].identifiers)
    return Dataset(
        customers=_frame(rows("customers"), CUSTOMER_COLUMNS),
        identifiers=_frame(identifiers, IDENTIFIER_COLUMNS),
        policies=_frame(rows("policies"), POLICY_COLUMNS),
        policy_roles=_frame(rows("policy_roles"), POLICY_ROLE_COLUMNS),
        agents=_frame(rows("agents"), AGENT_COLUMNS),
        agent_contacts=_frame(contacts, AGENT_CONTACT_COLUMNS),
        complaints=_frame(rows("complaints"), COMPLAINT_COLUMNS),
        payer_exceptions=_frame(rows("payer_exceptions"), PAYER_EXCEPTION_COLUMNS),
    )
