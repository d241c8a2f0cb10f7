"""Rejected rows, unusable fields and per-file counts of one load.

A reject is either a whole row that could not be loaded (``action`` is
``row_rejected``) or one field of a loaded row whose value was unusable and
was left out (``field_ignored``). Only row rejects count against the
``rows read = rows loaded + rows rejected`` balance that every file summary
keeps.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

import pandas as pd

RejectAction = Literal["row_rejected", "field_ignored"]

REJECT_COLUMNS = ["file", "row", "column", "problem", "message_zh", "message_en", "value", "action"]


@dataclass(frozen=True)
class Reject:
    """One problem found in an input file.

    ``row`` is the spreadsheet row number (header is row 1); ``value`` is
    already masked when the column holds an ID number, phone or account.
    """

    file: str
    row: int
    column: str
    problem: str
    message_zh: str
    message_en: str
    value: str
    action: RejectAction


@dataclass
class FileSummary:
    """Row counts of one input file."""

    file: str
    table: str
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    fields_ignored: int = 0
    encoding: str | None = None
    ignored_columns: list[str] = field(default_factory=list)

    @property
    def is_balanced(self) -> bool:
        return self.rows_read == self.rows_loaded + self.rows_rejected


@dataclass
class LoadReport:
    """Everything a load found wrong, and the counts that prove nothing was dropped."""

    files: list[FileSummary] = field(default_factory=list)
    rejects: list[Reject] = field(default_factory=list)

    def add(self, reject: Reject) -> None:
        self.rejects.append(reject)

    def rejects_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(r) for r in self.rejects], columns=REJECT_COLUMNS)

    def summary_frame(self) -> pd.DataFrame:
        rows = [
            {
                "file": f.file,
                "table": f.table,
                "rows_read": f.rows_read,
                "rows_loaded": f.rows_loaded,
                "rows_rejected": f.rows_rejected,
                "fields_ignored": f.fields_ignored,
                "encoding": f.encoding or "",
            }
            for f in self.files
        ]
        columns = ["file", "table", "rows_read", "rows_loaded", "rows_rejected", "fields_ignored", "encoding"]
        return pd.DataFrame(rows, columns=columns)
