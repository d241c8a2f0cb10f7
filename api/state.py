"""The API's state database: API keys, the audit log and the results registry.

Everything lives in one SQLite file, ``<state_dir>/state.db``, in WAL mode so
that readers never wait for the writer. :class:`StateDB` keeps one connection
per thread and reuses it, because sqlite3 connections must not be shared
between the threads that serve requests and opening one costs more than most
queries.

- **API keys.** A token is ``kg_<key id>_<secret>``. Only the SHA-256 of the
  whole token is stored, so a lost token cannot be recovered, only revoked.
- **Audit log.** Append-only: the code has no UPDATE or DELETE of it, and
  triggers make SQLite raise on any attempt. Entries appended by concurrent
  requests are committed together by one writer thread (group commit, see
  :mod:`api.audit_log`), so that one fsync serves many requests; each call
  still returns only after its own entry is committed.
- **Results registry.** :meth:`StateDB.publish_results` stores each detection
  run's clusters and findings by their stable ids with a hash of their
  content. An item that is new, changed, or gone from the run (then marked
  ``resolved``) gets the next number of one global sequence. A ``since``
  token holds a sequence number, so a client that pulls with the token it
  was last given receives every change after it exactly once.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import secrets
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, Literal

from api.audit_log import AuditWriter, PeriodicCheckpoint
from api.permissions import ROLES
from graph.rules.findings import Finding
from graph.rules.shared_contacts import Cluster, HubValue

logger = logging.getLogger(__name__)

STATE_FILE = "state.db"
TOKEN_PREFIX = "kg"
# Milliseconds a connection waits for another writer before raising "database is locked".
BUSY_TIMEOUT_MS = 10_000

ItemStatus = Literal["active", "resolved"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS api_keys (
    key_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    token_sha256 TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE TABLE IF NOT EXISTS audit_log (
    entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    key_id TEXT,
    key_name TEXT,
    role TEXT,
    method TEXT NOT NULL,
    route TEXT NOT NULL,
    query TEXT NOT NULL,
    outcome TEXT NOT NULL,
    record_ids TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_key ON audit_log (key_id, entry_id);
CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TABLE IF NOT EXISTS registry_sequence (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    last_sequence INTEGER NOT NULL
);
INSERT OR IGNORE INTO registry_sequence (id, last_sequence) VALUES (1, 0);
CREATE TABLE IF NOT EXISTS clusters (
    cluster_id TEXT PRIMARY KEY,
    sequence INTEGER NOT NULL UNIQUE,
    status TEXT NOT NULL,
    rule TEXT NOT NULL,
    size INTEGER NOT NULL,
    link_kinds TEXT NOT NULL,
    channels TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_changed TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS clusters_listing ON clusters (status, size DESC, cluster_id);
CREATE TABLE IF NOT EXISTS findings (
    finding_id TEXT PRIMARY KEY,
    sequence INTEGER NOT NULL UNIQUE,
    status TEXT NOT NULL,
    rule TEXT NOT NULL,
    severity TEXT NOT NULL,
    customer_id TEXT,
    policy_no TEXT,
    agent_id TEXT,
    channel TEXT,
    first_seen TEXT NOT NULL,
    last_changed TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS findings_customer ON findings (customer_id);
CREATE INDEX IF NOT EXISTS findings_policy ON findings (policy_no);
CREATE INDEX IF NOT EXISTS findings_agent ON findings (agent_id);
CREATE INDEX IF NOT EXISTS findings_rule ON findings (rule, finding_id);
CREATE TABLE IF NOT EXISTS hub_values (
    position INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    key_masked TEXT NOT NULL,
    customer_count INTEGER NOT NULL,
    reason TEXT NOT NULL,
    published_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS publications (
    publication_id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    clusters INTEGER NOT NULL,
    findings INTEGER NOT NULL,
    new INTEGER NOT NULL,
    changed INTEGER NOT NULL,
    resolved INTEGER NOT NULL
);
"""


class StateError(Exception):
    """Raised when the state database rejects an operation (an unknown role, a bad cursor)."""


class InvalidCursorError(StateError):
    """Raised when a ``cursor`` or ``since`` token is not one this service issued for the route."""


@dataclass(frozen=True)
class ApiKey:
    """An API key's record; the token itself is never stored."""

    key_id: str
    name: str
    role: str
    created_at: str
    revoked_at: str | None

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


@dataclass(frozen=True)
class AuditEntry:
    """One audit-log row: who called which route with which query, and which record ids it returned."""

    entry_id: int
    at: str
    key_id: str | None
    key_name: str | None
    role: str | None
    method: str
    route: str
    query: dict[str, Any]
    outcome: str
    record_ids: list[str]


@dataclass(frozen=True)
class RegistryItem:
    """A cluster or finding as the registry holds it: its JSON body and its change history."""

    item_id: str
    status: ItemStatus
    first_seen: str
    last_changed: str
    sequence: int
    body: dict[str, Any]


@dataclass(frozen=True)
class Page:
    """One page of registry items and the tokens that continue the listing.

    ``next_cursor`` continues a keyset listing (None on the last page).
    ``next_since`` is set in incremental mode and is always returned there,
    also on an empty page, so the client can store it.
    """

    items: list[RegistryItem]
    next_cursor: str | None = None
    next_since: str | None = None
    has_more: bool = False


@dataclass(frozen=True)
class PublishSummary:
    """Counts of one publish: items received, and items that got a new sequence number."""

    clusters: int
    findings: int
    new: int
    changed: int
    resolved: int


@dataclass(frozen=True)
class ClusterFilters:
    """Filters of the cluster listing; None means no filter."""

    rule: str | None = None
    link_kind: str | None = None
    min_size: int | None = None
    max_size: int | None = None
    channel: str | None = None
    first_seen_from: date | None = None
    first_seen_to: date | None = None


@dataclass(frozen=True)
class FindingFilters:
    """Filters of the finding listing; None means no filter."""

    rule: str | None = None
    customer_id: str | None = None
    policy_no: str | None = None
    agent_id: str | None = None


# --- Tokens ---------------------------------------------------------------------


def encode_token(kind: str, values: Sequence[Any]) -> str:
    """Return an opaque cursor token: URL-safe base64 of a JSON list, without padding."""
    raw = json.dumps([kind, *values], separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def decode_token(token: str, kind: str) -> list[Any]:
    """Return the values of a token made by :func:`encode_token` for ``kind``.

    Raises:
        InvalidCursorError: the token is not valid base64 JSON, or was made for another kind.
    """
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        decoded = json.loads(raw.decode("utf-8"))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursorError("the token is not one this service issued") from exc
    if not isinstance(decoded, list) or not decoded or decoded[0] != kind:
        raise InvalidCursorError(f"the token was not issued for {kind!r}")
    return decoded[1:]


SINCE_START = "0"
# The largest integer SQLite stores; a larger bound parameter raises OverflowError in sqlite3.
SQLITE_MAX_INTEGER = 2**63 - 1


def is_stored_integer(value: object) -> bool:
    """Return whether ``value`` is an int (not a bool) from 0 to :data:`SQLITE_MAX_INTEGER`, as token numbers are."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= SQLITE_MAX_INTEGER


def since_token(sequence: int) -> str:
    """Return the ``since`` token that continues after ``sequence``."""
    return encode_token("since", [sequence])


def since_sequence(token: str) -> int:
    """Return the sequence number of a ``since`` token; ``0`` means from the beginning."""
    if token == SINCE_START:
        return 0
    values = decode_token(token, "since")
    if len(values) != 1 or not is_stored_integer(values[0]):
        raise InvalidCursorError("the since token does not hold a sequence number")
    return int(values[0])


def content_hash(body: dict[str, Any]) -> str:
    """Return the SHA-256 of a body's canonical JSON (sorted keys), which detects changed content."""
    text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _audit_values(
    key: ApiKey | None, method: str, route: str, query: dict[str, Any], outcome: str, record_ids: Sequence[str]
) -> tuple[Any, ...]:
    """Return the column values of an audit entry stamped now, in the order of the audit_log INSERT."""
    return (
        datetime.now(UTC).isoformat(timespec="milliseconds"),
        key.key_id if key else None,
        key.name if key else None,
        key.role if key else None,
        method,
        route,
        json.dumps(query, ensure_ascii=False, sort_keys=True, default=str),
        outcome,
        json.dumps(list(record_ids), ensure_ascii=False),
    )


def _iso_or_none(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _token_sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def key_id_of(token: str) -> str | None:
    """Return the key id inside a token, or None when the token does not have the ``kg_<id>_<secret>`` form."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX or not parts[1] or not parts[2]:
        return None
    return parts[1]


class StateDB:
    """The state database at ``<state_dir>/state.db``; created with its schema on first use."""

    def __init__(self, state_dir: Path) -> None:
        self.path = Path(state_dir) / STATE_FILE
        self._schema_ready = False
        self._local = threading.local()
        self._audit_writer = AuditWriter(self._insert_audit_batch)
        self._checkpoints = PeriodicCheckpoint(self._checkpoint_wal)

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """Yield this thread's connection in autocommit mode (transactions are begun explicitly).

        The connection is opened on the thread's first use and stays open
        for the thread's lifetime, or until the StateDB is garbage-collected.
        """
        connection: sqlite3.Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            if not self._schema_ready:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            connection.row_factory = sqlite3.Row
            connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # Set, not left to the build's default: an audit entry must be on disk before its response leaves.
            connection.execute("PRAGMA synchronous = FULL")
            if not self._schema_ready:
                connection.execute("PRAGMA journal_mode = WAL")
                connection.executescript(_SCHEMA)
                self._schema_ready = True
            self._local.connection = connection
        yield connection

    @contextmanager
    def _write_transaction(self) -> Iterator[sqlite3.Connection]:
        # BEGIN IMMEDIATE takes the write lock up front, so sequence numbers
        # are handed out and committed in one order by one writer at a time.
        with self.connect() as connection:
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.execute("ROLLBACK")
                raise
            connection.execute("COMMIT")

    def check(self) -> None:
        """Read a row of the database; raises ``sqlite3.Error`` when it cannot."""
        with self.connect() as connection:
            connection.execute("SELECT last_sequence FROM registry_sequence").fetchone()

    # --- API keys -------------------------------------------------------------

    def create_api_key(self, role: str, name: str) -> tuple[ApiKey, str]:
        """Create a key for ``role`` and return its record and its token; the token is not stored.

        Raises:
            StateError: ``role`` is not one of :data:`api.permissions.ROLES`, or ``name`` is blank.
        """
        if role not in ROLES:
            raise StateError(f"unknown role {role!r}; expected one of: {', '.join(ROLES)}")
        if not name.strip():
            raise StateError("the key name is blank; give a name that says who uses the key")
        key_id = secrets.token_hex(6)
        token = f"{TOKEN_PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
        key = ApiKey(key_id=key_id, name=name.strip(), role=role, created_at=_now(), revoked_at=None)
        with self._write_transaction() as connection:
            connection.execute(
                "INSERT INTO api_keys (key_id, name, role, token_sha256, created_at) VALUES (?, ?, ?, ?, ?)",
                (key.key_id, key.name, key.role, _token_sha256(token), key.created_at),
            )
        logger.info("API key %s created for role %s", key_id, role)
        return key, token

    def revoke_api_key(self, key_id: str) -> bool:
        """Revoke a key; return False when no active key has this id."""
        with self._write_transaction() as connection:
            cursor = connection.execute(
                "UPDATE api_keys SET revoked_at = ? WHERE key_id = ? AND revoked_at IS NULL", (_now(), key_id)
            )
            revoked = cursor.rowcount == 1
        if revoked:
            logger.info("API key %s revoked", key_id)
        return revoked

    def list_api_keys(self) -> list[ApiKey]:
        """Return every key, active and revoked, oldest first."""
        with self.connect() as connection:
            rows = connection.execute(
                "SELECT key_id, name, role, created_at, revoked_at FROM api_keys ORDER BY created_at, key_id"
            ).fetchall()
        return [ApiKey(**dict(row)) for row in rows]

    def authenticate(self, token: str) -> ApiKey | None:
        """Return the active key whose token this is, or None for an unknown, malformed or revoked token."""
        key_id = key_id_of(token)
        if key_id is None:
            return None
        with self.connect() as connection:
            row = connection.execute(
                "SELECT key_id, name, role, created_at, revoked_at, token_sha256 FROM api_keys WHERE key_id = ?",
                (key_id,),
            ).fetchone()
        if row is None or not hmac.compare_digest(row["token_sha256"], _token_sha256(token)):
            return None
        key = ApiKey(row["key_id"], row["name"], row["role"], row["created_at"], row["revoked_at"])
        return key if key.is_active else None

    # --- Audit log ----------------------------------------------------------------

    def append_audit(
        self,
        *,
        key: ApiKey | None,
        method: str,
        route: str,
        query: dict[str, Any],
        outcome: str,
        record_ids: Sequence[str],
    ) -> int:
        """Append one audit entry, block until it is committed, and return its id.

        There is no way to change or delete an entry. Entries from concurrent
        callers are committed together in one transaction.

        Raises:
            StateError: the transaction that held this entry failed (the
                entry is not written); the SQLite error is its cause.
        """
        values = _audit_values(key, method, route, query, outcome, record_ids)
        try:
            return self._audit_writer.append(values)
        except Exception as exc:
            raise StateError(f"writing the audit log failed: {exc}") from exc

    async def append_audit_async(
        self,
        *,
        key: ApiKey | None,
        method: str,
        route: str,
        query: dict[str, Any],
        outcome: str,
        record_ids: Sequence[str],
    ) -> int:
        """Append one audit entry as :meth:`append_audit` does, waiting without blocking the event loop.

        Raises:
            StateError: the transaction that held this entry failed (the
                entry is not written); the SQLite error is its cause.
        """
        values = _audit_values(key, method, route, query, outcome, record_ids)
        try:
            return await self._audit_writer.append_async(values)
        except Exception as exc:
            raise StateError(f"writing the audit log failed: {exc}") from exc

    def _insert_audit_batch(self, batch: Sequence[tuple[Any, ...]]) -> list[int]:
        # The writer thread's connection leaves checkpoints to self._checkpoints, off the requests' path.
        if not getattr(self._local, "manual_checkpoints", False):
            with self.connect() as connection:
                connection.execute("PRAGMA wal_autocheckpoint = 0")
            self._local.manual_checkpoints = True
        with self._write_transaction() as connection:
            connection.executemany(
                "INSERT INTO audit_log (at, key_id, key_name, role, method, route, query, outcome, record_ids) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                batch,
            )
            last_id = int(connection.execute("SELECT last_insert_rowid()").fetchone()[0])
        self._checkpoints.note_commit()
        # The transaction holds the write lock, so AUTOINCREMENT gave the batch consecutive ids ending at last_id.
        return list(range(last_id - len(batch) + 1, last_id + 1))

    def _checkpoint_wal(self) -> None:
        # PASSIVE copies what it can without waiting for readers or the writer, so commits go on meanwhile.
        with self.connect() as connection:
            connection.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def read_audit(
        self, *, after: int = 0, limit: int = 100, key_id: str | None = None, route: str | None = None
    ) -> list[AuditEntry]:
        """Return audit entries with an id above ``after``, oldest first, optionally for one key or route."""
        clauses = ["entry_id > ?"]
        parameters: list[Any] = [after]
        if key_id is not None:
            clauses.append("key_id = ?")
            parameters.append(key_id)
        if route is not None:
            clauses.append("route = ?")
            parameters.append(route)
        parameters.append(limit)
        with self.connect() as connection:
            rows = connection.execute(
                "SELECT * FROM audit_log WHERE " + " AND ".join(clauses) + " ORDER BY entry_id LIMIT ?",
                parameters,
            ).fetchall()
        return [
            AuditEntry(
                entry_id=row["entry_id"], at=row["at"], key_id=row["key_id"], key_name=row["key_name"],
                role=row["role"], method=row["method"], route=row["route"], query=json.loads(row["query"]),
                outcome=row["outcome"], record_ids=json.loads(row["record_ids"]),
            )
            for row in rows
        ]

    # --- Results registry -------------------------------------------------------------

    def publish_results(
        self,
        clusters: Sequence[Cluster],
        findings: Sequence[Finding],
        hub_values: Sequence[HubValue] | None = None,
    ) -> PublishSummary:
        """Store one detection run's clusters and findings, giving each change the next sequence number.

        Steps, in one write transaction:

        1. Each cluster and finding is upserted by its id. A new item, an item
           whose content hash changed, and a resolved item that is back get the
           next sequence number and ``status = active``; an unchanged item keeps
           its number.
        2. Active items missing from this run are marked ``resolved`` and get
           the next sequence number, so incremental clients learn that they are
           gone. A run is therefore a complete snapshot: publish every cluster
           and finding of the run, never a part.
        3. Hub values, when given, replace the stored list.

        Numbers are handed out in id order, clusters first, so the same run
        on the same registry gives the same numbers.
        """
        now = _now()
        with self._write_transaction() as connection:
            sequence = int(connection.execute("SELECT last_sequence FROM registry_sequence").fetchone()[0])

            # 1. and 2. for clusters, then for findings.
            cluster_rows = {c.cluster_id: _cluster_columns(c) for c in clusters}
            sequence, new_c, changed_c, resolved_c = _upsert(
                connection, "clusters", "cluster_id", cluster_rows, sequence, now
            )
            finding_rows = {f.finding_id: _finding_columns(f) for f in findings}
            sequence, new_f, changed_f, resolved_f = _upsert(
                connection, "findings", "finding_id", finding_rows, sequence, now
            )
            connection.execute("UPDATE registry_sequence SET last_sequence = ?", (sequence,))

            # 3. Hub values.
            if hub_values is not None:
                connection.execute("DELETE FROM hub_values")
                connection.executemany(
                    "INSERT INTO hub_values (position, kind, key_masked, customer_count, reason, published_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (position, h.kind, h.key_masked, h.customer_count, h.reason, now)
                        for position, h in enumerate(hub_values)
                    ],
                )
            summary = PublishSummary(
                clusters=len(cluster_rows), findings=len(finding_rows),
                new=new_c + new_f, changed=changed_c + changed_f, resolved=resolved_c + resolved_f,
            )
            connection.execute(
                "INSERT INTO publications (at, clusters, findings, new, changed, resolved) VALUES (?, ?, ?, ?, ?, ?)",
                (now, summary.clusters, summary.findings, summary.new, summary.changed, summary.resolved),
            )
        logger.info(
            "published %d clusters and %d findings: %d new, %d changed, %d resolved",
            summary.clusters, summary.findings, summary.new, summary.changed, summary.resolved,
        )
        return summary

    def last_sequence(self) -> int:
        """Return the highest sequence number handed out so far (0 before the first publish)."""
        with self.connect() as connection:
            return int(connection.execute("SELECT last_sequence FROM registry_sequence").fetchone()[0])

    def list_clusters(
        self, filters: ClusterFilters, *, limit: int, cursor: str | None = None, since: str | None = None
    ) -> Page:
        """Return one page of clusters.

        Without ``since``: active clusters, largest first then by id, continued
        with ``cursor``. With ``since``: every cluster changed after the token
        (resolved ones included), in sequence order.

        Raises:
            InvalidCursorError: ``cursor`` or ``since`` is not a valid token.
        """
        # instr() and not LIKE for list columns, because "_" in a kind would be a LIKE wildcard.
        conditions: list[tuple[str, object]] = [
            ("rule = ?", filters.rule),
            ("instr(',' || link_kinds || ',', ',' || ? || ',') > 0", filters.link_kind),
            ("instr(',' || channels || ',', ',' || ? || ',') > 0", filters.channel),
            ("size >= ?", filters.min_size),
            ("size <= ?", filters.max_size),
            ("substr(first_seen, 1, 10) >= ?", _iso_or_none(filters.first_seen_from)),
            ("substr(first_seen, 1, 10) <= ?", _iso_or_none(filters.first_seen_to)),
        ]
        clauses = [clause for clause, value in conditions if value is not None]
        parameters: list[Any] = [value for _, value in conditions if value is not None]
        if since is not None:
            return self._since_page("clusters", "cluster_id", clauses, parameters, since, limit)

        clauses.append("status = 'active'")
        if cursor is not None:
            values = decode_token(cursor, "clusters")
            if len(values) != 2 or not is_stored_integer(values[0]) or not isinstance(values[1], str):
                raise InvalidCursorError("the cursor does not hold a cluster position")
            clauses.append("(size < ? OR (size = ? AND cluster_id > ?))")
            parameters += [values[0], values[0], values[1]]
        rows = self._select("clusters", "cluster_id", clauses, parameters, "size DESC, cluster_id", limit + 1)
        items = [_item(row, "cluster_id") for row in rows[:limit]]
        next_cursor = None
        if len(rows) > limit:
            last = items[-1]
            next_cursor = encode_token("clusters", [int(last.body["size"]), last.item_id])
        return Page(items, next_cursor=next_cursor, has_more=next_cursor is not None)

    def get_cluster(self, cluster_id: str) -> RegistryItem | None:
        """Return the cluster with this id, active or resolved, or None."""
        with self.connect() as connection:
            row = connection.execute("SELECT * FROM clusters WHERE cluster_id = ?", (cluster_id,)).fetchone()
        return _item(row, "cluster_id") if row is not None else None

    def list_findings(
        self, filters: FindingFilters, *, limit: int, cursor: str | None = None, since: str | None = None
    ) -> Page:
        """Return one page of findings, by id or (with ``since``) in sequence order; see :meth:`list_clusters`."""
        clauses: list[str] = []
        parameters: list[Any] = []
        for column in ("rule", "customer_id", "policy_no", "agent_id"):
            value = getattr(filters, column)
            if value is not None:
                clauses.append(f"{column} = ?")
                parameters.append(value)
        if since is not None:
            return self._since_page("findings", "finding_id", clauses, parameters, since, limit)

        clauses.append("status = 'active'")
        if cursor is not None:
            values = decode_token(cursor, "findings")
            if len(values) != 1 or not isinstance(values[0], str):
                raise InvalidCursorError("the cursor does not hold a finding position")
            clauses.append("finding_id > ?")
            parameters.append(values[0])
        rows = self._select("findings", "finding_id", clauses, parameters, "finding_id", limit + 1)
        items = [_item(row, "finding_id") for row in rows[:limit]]
        next_cursor = encode_token("findings", [items[-1].item_id]) if len(rows) > limit else None
        return Page(items, next_cursor=next_cursor, has_more=next_cursor is not None)

    def active_findings(self, rules: Sequence[str]) -> list[RegistryItem]:
        """Return every active finding of the given rules, by id (for per-agent summaries)."""
        clauses = ["status = 'active'", "rule IN (" + ", ".join("?" for _ in rules) + ")"]
        # LIMIT -1 is SQLite's "no limit".
        rows = self._select("findings", "finding_id", clauses, list(rules), "finding_id", -1)
        return [_item(row, "finding_id") for row in rows]

    def hub_values(self) -> list[dict[str, Any]]:
        """Return the hub values of the latest publish that gave them, largest first."""
        with self.connect() as connection:
            rows = connection.execute(
                "SELECT kind, key_masked, customer_count, reason, published_at FROM hub_values ORDER BY position"
            ).fetchall()
        return [dict(row) for row in rows]

    def _select(
        self, table: str, id_column: str, clauses: list[str], parameters: list[Any], order: str, limit: int
    ) -> list[sqlite3.Row]:
        # Table, id column and order come from this module's constants, never from a request.
        where = " WHERE " + " AND ".join(clauses) if clauses else ""
        with self.connect() as connection:
            return connection.execute(
                f"SELECT {id_column}, status, first_seen, last_changed, sequence, body FROM {table}{where} "
                f"ORDER BY {order} LIMIT ?",
                [*parameters, limit],
            ).fetchall()

    def _since_page(
        self, table: str, id_column: str, clauses: list[str], parameters: list[Any], since: str, limit: int
    ) -> Page:
        after = since_sequence(since)
        # One SELECT reads one committed snapshot, and a publish commits all
        # its numbers at once under the write lock, so a page never holds a
        # number without every lower one that matches the filters.
        rows = self._select(
            table, id_column, [*clauses, "sequence > ?"], [*parameters, after], "sequence", limit + 1
        )
        items = [_item(row, id_column) for row in rows[:limit]]
        last = items[-1].sequence if items else after
        return Page(items, next_since=since_token(last), has_more=len(rows) > limit)


def _cluster_columns(cluster: Cluster) -> dict[str, Any]:
    body = cluster.to_dict()
    return {
        "rule": str(body["rule"]),
        "size": cluster.size,
        "link_kinds": ",".join(cluster.link_kinds),
        "channels": ",".join(cluster.channels),
        "body": body,
    }


def _finding_columns(finding: Finding) -> dict[str, Any]:
    return {
        "rule": finding.rule,
        "severity": finding.severity,
        "customer_id": finding.customer_id,
        "policy_no": finding.policy_no,
        "agent_id": finding.agent_id,
        "channel": finding.channel,
        "body": finding.to_dict(),
    }


def _upsert(
    connection: sqlite3.Connection,
    table: str,
    id_column: str,
    rows: dict[str, dict[str, Any]],
    sequence: int,
    now: str,
) -> tuple[int, int, int, int]:
    """Upsert ``rows`` (id -> columns) into a registry table; return the last sequence and the counts.

    Returns (last sequence, new, changed, resolved).
    """
    stored = {
        row[0]: (row[1], row[2])
        for row in connection.execute(f"SELECT {id_column}, content_sha256, status FROM {table}")
    }
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for item_id in sorted(rows):
        columns = rows[item_id]
        digest = content_hash(columns["body"])
        previous = stored.get(item_id)
        if previous is not None and previous == (digest, "active"):
            continue
        sequence += 1
        values = {
            **columns, id_column: item_id, "sequence": sequence, "content_sha256": digest,
            "body": json.dumps(columns["body"], ensure_ascii=False), "now": now,
        }
        (inserts if previous is None else updates).append(values)
    data_columns = [c for c in next(iter(rows.values()), {}) if c != "body"]
    if inserts:
        names = [id_column, *data_columns, "sequence", "content_sha256", "body"]
        connection.executemany(
            f"INSERT INTO {table} ({', '.join(names)}, status, first_seen, last_changed) "
            f"VALUES ({', '.join(':' + n for n in names)}, 'active', :now, :now)",
            inserts,
        )
    if updates:
        assignments = ", ".join(f"{n} = :{n}" for n in [*data_columns, "sequence", "content_sha256", "body"])
        connection.executemany(
            f"UPDATE {table} SET {assignments}, status = 'active', last_changed = :now "
            f"WHERE {id_column} = :{id_column}",
            updates,
        )
    gone = sorted(item_id for item_id, (_, status) in stored.items() if status == "active" and item_id not in rows)
    resolved = []
    for item_id in gone:
        sequence += 1
        resolved.append({"sequence": sequence, "now": now, "item_id": item_id})
    connection.executemany(
        f"UPDATE {table} SET status = 'resolved', sequence = :sequence, last_changed = :now "
        f"WHERE {id_column} = :item_id",
        resolved,
    )
    return sequence, len(inserts), len(updates), len(resolved)


def _item(row: sqlite3.Row, id_column: str) -> RegistryItem:
    return RegistryItem(
        item_id=row[id_column],
        status=row["status"],
        first_seen=row["first_seen"],
        last_changed=row["last_changed"],
        sequence=int(row["sequence"]),
        body=json.loads(row["body"]),
    )
