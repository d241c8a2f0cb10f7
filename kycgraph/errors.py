"""kycgraph's exception tree.

::

    KycgraphError                 base of every error kycgraph raises on purpose
    ├── ConfigError               a setting, mapping file or command-line option is invalid
    ├── InputError                an input file cannot be read at all
    │   ├── MissingColumnsError   required columns are absent after mapping
    │   └── EncodingError         the bytes do not decode in the detected or given encoding
    └── StoreError                a graph store failed
        └── StoreUnavailableError the store's server cannot be reached

Row-level problems are not exceptions: they are collected as rejects and
reported together (see ``loaders.rejects``).
"""

from __future__ import annotations


class KycgraphError(Exception):
    """Base class of all errors kycgraph raises on purpose."""


class ConfigError(KycgraphError):
    """Raised when a setting, mapping file or command-line option is invalid."""


class InputError(KycgraphError):
    """Raised when an input file cannot be read at all (not found, wrong format)."""


class MissingColumnsError(InputError):
    """Raised when required columns are absent from a file after header mapping."""

    def __init__(self, file: str, table: str, missing: list[str], found: list[str]) -> None:
        self.file = file
        self.table = table
        self.missing = sorted(missing)
        self.found = found
        super().__init__(
            f"{file}: missing required columns for table {table!r}: {', '.join(self.missing)}. "
            f"Found headers: {', '.join(found) or '(none)'}. "
            "Rename the headers or map them in the mapping file ([tables.{table}.columns])."
        )


class EncodingError(InputError):
    """Raised when a text file does not decode in the detected or configured encoding."""


class StoreError(KycgraphError):
    """Raised when a graph store operation fails."""


class StoreUnavailableError(StoreError):
    """Raised when the graph store's server cannot be reached."""
