"""Read CSV, XLSX and Parquet exports into frames of untouched cell values.

Readers never convert identifiers: CSV cells stay strings, and XLSX and
Parquet cells keep the Python type the file stored (a number-typed ID cell
arrives as a float, so the normaliser can report it instead of guessing).
Row numbers follow the spreadsheet convention: the header is row 1 and the
first data row is row 2.

Encodings: UTF-8, UTF-8 with BOM, UTF-16 with BOM, and GB18030. A file
labelled GBK or GB2312 is decoded as GB18030, its superset, and bytes that do
not decode raise :class:`~kycgraph.errors.EncodingError`; nothing is replaced
silently.
"""

from __future__ import annotations

import codecs
import csv
import io
import logging
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from kycgraph.errors import EncodingError, InputError

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".parquet")

# Encodings that are read as a superset: GB18030 decodes every GBK and GB2312 file.
_ENCODING_ALIASES = {
    "gbk": "gb18030",
    "gb2312": "gb18030",
    "cp936": "gb18030",
    "utf8": "utf-8",
    "utf-8-bom": "utf-8-sig",
    "utf8-sig": "utf-8-sig",
}


@dataclass(frozen=True)
class RawTable:
    """Cells of one file, as stored, with where they came from.

    ``frame`` has one column per header, in file order, and object dtype.
    ``first_row`` is the spreadsheet row number of ``frame``'s first row.
    """

    path: Path
    frame: pd.DataFrame
    encoding: str | None
    first_row: int = 2

    @property
    def name(self) -> str:
        return self.path.name


def detect_encoding(data: bytes) -> str:
    """Return the encoding of a text file's bytes: a BOM first, then UTF-8, then GB18030.

    Raises:
        EncodingError: the bytes are neither UTF-8 nor GB18030.
    """
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        data.decode("gb18030")
        return "gb18030"
    except UnicodeDecodeError as exc:
        raise EncodingError(
            f"bytes at offset {exc.start} are neither UTF-8 nor GB18030; "
            "re-export the file as UTF-8 or set its encoding in the mapping file"
        ) from exc


def _decode(path: Path, data: bytes, encoding: str) -> tuple[str, str]:
    requested = _ENCODING_ALIASES.get(encoding.lower(), encoding.lower())
    try:
        used = detect_encoding(data) if requested == "auto" else requested
    except EncodingError as exc:
        raise EncodingError(f"{path.name}: {exc}") from exc
    if used == "utf-8" and data.startswith(codecs.BOM_UTF8):
        used = "utf-8-sig"
    try:
        return data.decode(used), used
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise EncodingError(
            f"{path.name}: line {line} (byte {exc.start}) is not valid {used}; "
            "fix the encoding setting in the mapping file (auto, utf-8, utf-8-sig, gb18030)"
        ) from exc
    except LookupError as exc:
        raise EncodingError(f"{path.name}: unknown encoding {encoding!r}") from exc


def _read_delimited(path: Path, encoding: str, delimiter: str | None) -> RawTable:
    text, used = _decode(path, path.read_bytes(), encoding)
    if delimiter is None:
        first_line = text.split("\n", 1)[0]
        delimiter = "\t" if path.suffix.lower() == ".tsv" or first_line.count("\t") > first_line.count(",") else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    while rows and not any(cell.strip() for cell in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError(f"{path.name}: the file is empty; expected a header row and data rows")
    header = [h.strip() for h in rows[0]]
    width = len(header)
    body: list[list[object]] = []
    for row in rows[1:]:
        # Short rows are padded; long rows are cut here and listed in
        # attrs["extra_cells"] so that validation rejects them.
        body.append([*row[:width], *[""] * (width - len(row))])
    frame = pd.DataFrame(body, columns=header, dtype=object)
    extra_cells = [i for i, row in enumerate(rows[1:]) if len(row) > width and any(c.strip() for c in row[width:])]
    if extra_cells:
        frame.attrs["extra_cells"] = extra_cells
    return RawTable(path=path, frame=frame, encoding=used)


def _read_xlsx(path: Path, sheet: str | None) -> RawTable:
    import openpyxl

    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several unrelated types for a bad file
        raise InputError(f"{path.name}: not a readable XLSX workbook ({exc})") from exc
    try:
        if sheet is not None and sheet not in book.sheetnames:
            raise InputError(f"{path.name}: no sheet {sheet!r}; sheets are {', '.join(book.sheetnames)}")
        ws = book[sheet] if sheet is not None else book.worksheets[0]
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
    finally:
        book.close()
    while rows and all(v is None or (isinstance(v, str) and not v.strip()) for v in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError(f"{path.name}: the sheet is empty; expected a header row and data rows")
    header = ["" if h is None else str(h).strip() for h in rows[0]]
    width = len(header)
    body = [[("" if v is None else v) for v in r[:width]] + [""] * (width - len(r)) for r in rows[1:]]
    return RawTable(path=path, frame=pd.DataFrame(body, columns=header, dtype=object), encoding=None)


def _read_parquet(path: Path) -> RawTable:
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid, OSError and others
        raise InputError(f"{path.name}: not a readable Parquet file ({exc})") from exc
    columns = {name: table.column(name).to_pylist() for name in table.column_names}
    frame = pd.DataFrame(
        {name: pd.Series(values, dtype=object) for name, values in columns.items()}, dtype=object
    )
    return RawTable(path=path, frame=frame.fillna(""), encoding=None)


def read_table(
    path: Path, *, encoding: str = "auto", sheet: str | None = None, delimiter: str | None = None
) -> RawTable:
    """Read one export file by its suffix.

    Args:
        path: a ``.csv``/``.txt``/``.tsv``, ``.xlsx``/``.xlsm`` or ``.parquet`` file.
        encoding: for delimited text: ``auto`` (BOM, then UTF-8, then GB18030) or a
            codec name; GBK and GB2312 are read as GB18030.
        sheet: for XLSX, the sheet name; the first sheet by default.
        delimiter: for delimited text; detected from the header line by default.

    Raises:
        InputError: the file is missing, empty, or not of its suffix's format.
        EncodingError: a text file does not decode.
    """
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt", ".tsv"):
        table = _read_delimited(path, encoding, delimiter)
    elif suffix in (".xlsx", ".xlsm"):
        table = _read_xlsx(path, sheet)
    elif suffix == ".parquet":
        table = _read_parquet(path)
    else:
        raise InputError(
            f"{path.name}: unsupported file type {suffix!r}; expected one of {', '.join(SUPPORTED_SUFFIXES)}"
        )
    logger.info("read %s: %d rows (encoding %s)", path.name, len(table.frame), table.encoding or "binary")
    return table
