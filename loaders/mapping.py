"""Map an export's files and headers onto the canonical tables.

A mapping file is TOML. Every key is optional; headers that match a canonical
column name or one of its built-in aliases need no entry::

    default_region = "CN"              # phones written without a country code
    link_kinds = ["phone", "bank_account"]
    hub_threshold = 20

    [tables.customers]
    file = "客户信息.csv"              # relative to the input folder
    encoding = "auto"                  # auto, utf-8, utf-8-sig, gb18030 (gbk is read as gb18030)
    sheet = "Sheet1"                   # XLSX only
    delimiter = ","

    [tables.customers.columns]         # canonical column = header in the file
    customer_id = "客户代码"

    [tables.customers.identifiers]     # extra identifier columns: header = identifier kind
    "设备号" = "device_id"

Without a mapping file, the input folder is searched for files named after
the tables (``customers.csv``, ``客户.xlsx``, ...; see ``DEFAULT_FILE_STEMS``).
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from kycgraph.errors import ConfigError, InputError, MissingColumnsError
from loaders.read import SUPPORTED_SUFFIXES
from loaders.schema import CONTACT_KINDS, DEFAULT_FILE_STEMS, TABLES, Table

_TOP_LEVEL_KEYS = {"default_region", "link_kinds", "hub_threshold", "tables"}
_TABLE_KEYS = {"file", "encoding", "sheet", "delimiter", "columns", "identifiers"}
_IDENTIFIER_KIND = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


@dataclass
class TableSource:
    """The source file of one canonical table and its header mapping."""

    table: str
    file: Path
    encoding: str = "auto"
    sheet: str | None = None
    delimiter: str | None = None
    columns: dict[str, str] = field(default_factory=dict)
    identifiers: dict[str, str] = field(default_factory=dict)


@dataclass
class Mapping:
    """The resolved sources of one export plus the mapping file's run settings."""

    sources: dict[str, TableSource]
    default_region: str | None = None
    link_kinds: tuple[str, ...] | None = None
    hub_threshold: int | None = None


def _header_key(header: str) -> str:
    return unicodedata.normalize("NFKC", header).strip().casefold().replace(" ", "_")


def _check_keys(where: str, section: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(section) - allowed)
    if unknown:
        raise ConfigError(
            f"{where}: unknown keys {', '.join(unknown)}; allowed keys are {', '.join(sorted(allowed))}"
        )


def _find_default_file(folder: Path, table: str) -> Path | None:
    for stem in DEFAULT_FILE_STEMS[table]:
        for suffix in SUPPORTED_SUFFIXES:
            candidate = folder / f"{stem}{suffix}"
            if candidate.is_file():
                return candidate
    return None


def load_mapping(input_path: Path, mapping_file: Path | None = None) -> Mapping:
    """Resolve which file feeds each canonical table, from a mapping file or by file name.

    Args:
        input_path: the export folder, or a single file. A single file feeds
            the table whose ``file`` the mapping leaves out, or the customers
            table when there is no mapping file.
        mapping_file: an optional TOML mapping file.

    Raises:
        ConfigError: the mapping file is malformed or names unknown tables,
            columns or keys.
        InputError: the input or a named file does not exist, or no customers
            table can be found.
    """
    if not input_path.exists():
        raise InputError(f"{input_path}: input not found; give an export folder or a file")
    folder = input_path if input_path.is_dir() else input_path.parent
    raw: dict[str, Any] = {}
    if mapping_file is not None:
        try:
            raw = tomllib.loads(mapping_file.read_text(encoding="utf-8"))
        except FileNotFoundError as exc:
            raise ConfigError(f"{mapping_file}: mapping file not found") from exc
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{mapping_file}: invalid TOML ({exc})") from exc
        _check_keys(str(mapping_file), raw, _TOP_LEVEL_KEYS)

    mapping = Mapping(sources={})
    if "default_region" in raw:
        mapping.default_region = str(raw["default_region"]).upper()
    if "link_kinds" in raw:
        mapping.link_kinds = tuple(str(k) for k in raw["link_kinds"])
    if "hub_threshold" in raw:
        mapping.hub_threshold = int(raw["hub_threshold"])

    tables: dict[str, Any] = raw.get("tables", {})
    unknown_tables = sorted(set(tables) - set(TABLES))
    if unknown_tables:
        raise ConfigError(
            f"{mapping_file}: unknown tables {', '.join(unknown_tables)}; "
            f"known tables are {', '.join(TABLES)}"
        )
    for name, spec in tables.items():
        mapping.sources[name] = _table_source(mapping_file, folder, input_path, name, spec)

    if not tables:
        if input_path.is_file():
            mapping.sources["customers"] = TableSource("customers", input_path)
        else:
            for name in TABLES:
                found = _find_default_file(folder, name)
                if found is not None:
                    mapping.sources[name] = TableSource(name, found)
    if "customers" not in mapping.sources:
        stems = ", ".join(f"{s}.csv" for s in DEFAULT_FILE_STEMS["customers"])
        raise InputError(
            f"{input_path}: no customers table found; name the file one of {stems} "
            "(or .xlsx/.parquet), or map it under [tables.customers] in a mapping file"
        )
    return mapping


def _table_source(
    mapping_file: Path | None, folder: Path, input_path: Path, name: str, spec: dict[str, Any]
) -> TableSource:
    where = f"{mapping_file} [tables.{name}]"
    _check_keys(where, spec, _TABLE_KEYS)
    table = TABLES[name]
    if "file" in spec:
        path = folder / str(spec["file"])
    elif input_path.is_file():
        path = input_path
    else:
        found = _find_default_file(folder, name)
        if found is None:
            raise InputError(f"{where}: no file given and none named like {name}.csv in {folder}")
        path = found
    if not path.is_file():
        raise InputError(f"{where}: file {path} not found")
    columns = {str(k): str(v) for k, v in spec.get("columns", {}).items()}
    unknown_columns = sorted(set(columns) - set(table.by_name))
    if unknown_columns:
        raise ConfigError(
            f"{where}.columns: unknown canonical columns {', '.join(unknown_columns)}; "
            f"table {name} has {', '.join(table.by_name)}"
        )
    identifiers = {str(k): str(v) for k, v in spec.get("identifiers", {}).items()}
    for header, kind in identifiers.items():
        if not _IDENTIFIER_KIND.match(kind):
            raise ConfigError(
                f"{where}.identifiers: kind {kind!r} for header {header!r} is invalid; "
                "use lower-case letters, digits and underscores, e.g. device_id"
            )
    return TableSource(
        table=name,
        file=path,
        encoding=str(spec.get("encoding", "auto")),
        sheet=spec.get("sheet"),
        delimiter=spec.get("delimiter"),
        columns=columns,
        identifiers=identifiers,
    )


@dataclass(frozen=True)
class MappedColumns:
    """The file header behind each canonical column, and the headers left unmapped."""

    canonical: dict[str, str]
    identifiers: dict[str, str]
    ignored: list[str]


def map_headers(frame: pd.DataFrame, table: Table, source: TableSource, file_name: str) -> MappedColumns:
    """Match a file's headers to the table's canonical columns.

    A header matches when the mapping file names it for the column, or when it
    equals the canonical name or one of its aliases (ignoring case, width and
    surrounding spaces). Extra identifier headers come from the mapping file
    only, except that a header equal to a contact kind (``email``) maps to it.

    Raises:
        MissingColumnsError: a required column has no header, listing every
            missing one, sorted.
        ConfigError: a header the mapping file names is not in the file.
    """
    headers = [str(h) for h in frame.columns]
    by_key: dict[str, str] = {}
    for header in headers:
        by_key.setdefault(_header_key(header), header)

    canonical: dict[str, str] = {}
    for column_name, header in source.columns.items():
        match = by_key.get(_header_key(header))
        if match is None:
            raise ConfigError(
                f"{file_name}: the mapping names header {header!r} for column {column_name!r}, "
                f"but the file's headers are {', '.join(headers)}"
            )
        canonical[column_name] = match
    for column in table.columns:
        if column.name in canonical:
            continue
        for candidate in (column.name, *column.aliases):
            alias_match = by_key.get(_header_key(candidate))
            if alias_match is not None and alias_match not in canonical.values():
                canonical[column.name] = alias_match
                break

    identifiers: dict[str, str] = {}
    for header, kind in source.identifiers.items():
        match = by_key.get(_header_key(header))
        if match is None:
            raise ConfigError(
                f"{file_name}: the mapping names identifier header {header!r} ({kind}), "
                f"but the file's headers are {', '.join(headers)}"
            )
        if kind in table.by_name and kind in CONTACT_KINDS:
            canonical.setdefault(kind, match)
        else:
            identifiers[match] = kind

    missing = [c.name for c in table.columns if c.required and c.name not in canonical]
    if missing:
        raise MissingColumnsError(file_name, table.name, missing, headers)
    used = set(canonical.values()) | set(identifiers)
    return MappedColumns(canonical, identifiers, [h for h in headers if h not in used])
