"""Group commit of audit entries: callers on threads and on event loops, failed commits, an idle writer."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

import api.audit_log
from api.audit_log import AuditWriter, PeriodicCheckpoint
from api.state import StateDB, StateError


def _append(state: StateDB, n: int) -> int:
    return state.append_audit(key=None, method="GET", route="/v1/test", query={"n": n}, outcome="allowed",
                              record_ids=[f"R{n}"])


def test_thread_callers_get_committed_entries(tmp_path: Path) -> None:
    state = StateDB(tmp_path)
    with ThreadPoolExecutor(max_workers=16) as pool:
        entry_ids = list(pool.map(lambda n: _append(state, n), range(200)))
    assert len(set(entry_ids)) == 200
    entries = {e.entry_id: e for e in state.read_audit(limit=1000)}
    assert sorted(entries) == sorted(entry_ids)
    for n, entry_id in enumerate(entry_ids):
        assert entries[entry_id].query == {"n": n}
        assert entries[entry_id].record_ids == [f"R{n}"]


def test_async_callers_get_committed_entries(tmp_path: Path) -> None:
    state = StateDB(tmp_path)

    async def append_all() -> list[int]:
        return list(await asyncio.gather(*(
            state.append_audit_async(key=None, method="POST", route="/v1/test", query={"n": n}, outcome="allowed",
                                     record_ids=[f"R{n}"])
            for n in range(100)
        )))

    entry_ids = asyncio.run(append_all())
    entries = {e.entry_id: e for e in state.read_audit(limit=1000)}
    assert sorted(entries) == sorted(entry_ids)
    assert [entries[entry_id].query["n"] for entry_id in entry_ids] == list(range(100))


def test_failed_commit_then_next_succeeds(tmp_path: Path) -> None:
    state = StateDB(tmp_path)
    _append(state, 0)
    failures = [sqlite3.OperationalError("database is locked")]

    def commit_failing_once(batch: Sequence[tuple[Any, ...]]) -> list[int]:
        if failures:
            raise failures.pop()
        return state._insert_audit_batch(batch)

    state._audit_writer = AuditWriter(commit_failing_once)
    with pytest.raises(StateError, match="writing the audit log failed: database is locked"):
        _append(state, 1)
    assert _append(state, 2) > 0
    assert [e.query["n"] for e in state.read_audit()] == [0, 2]


def test_idle_writer_thread_stops_and_restarts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api.audit_log, "IDLE_SECONDS", 0.05)
    committed: list[tuple[Any, ...]] = []

    def commit(batch: Sequence[tuple[Any, ...]]) -> list[int]:
        committed.extend(batch)
        return list(range(len(committed) - len(batch) + 1, len(committed) + 1))

    writer = AuditWriter(commit, name="audit-writer-test")
    assert writer.append(("first",)) == 1
    # The thread may already have stopped. The join timeout only bounds the wait for a broken writer.
    for thread in [t for t in threading.enumerate() if t.name == "audit-writer-test"]:
        thread.join(timeout=10)
    assert not [t for t in threading.enumerate() if t.name == "audit-writer-test"]
    assert not writer._running
    assert writer.append(("second",)) == 2
    assert committed == [("first",), ("second",)]


def test_checkpoint_runs_after_commits_then_stops(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api.audit_log, "CHECKPOINT_SECONDS", 0.01)
    ran = threading.Event()
    checkpoints = PeriodicCheckpoint(ran.set, name="checkpoint-test")
    checkpoints.note_commit()
    assert ran.wait(timeout=10)  # the timeout bounds a broken thread, it checks no speed
    for thread in [t for t in threading.enumerate() if t.name == "checkpoint-test"]:
        thread.join(timeout=10)
    assert not checkpoints._running


def test_state_wal_checkpointed_while_auditing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(api.audit_log, "CHECKPOINT_SECONDS", 0.01)
    state = StateDB(tmp_path)
    checkpointed = threading.Event()

    def checkpoint() -> None:
        state._checkpoint_wal()
        checkpointed.set()

    state._checkpoints = PeriodicCheckpoint(checkpoint)
    writer_settings: list[int] = []
    original_insert = state._insert_audit_batch

    def insert(batch: Sequence[tuple[Any, ...]]) -> list[int]:
        entry_ids = original_insert(batch)
        with state.connect() as connection:
            writer_settings.append(connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0])
        return entry_ids

    state._audit_writer = AuditWriter(insert)
    _append(state, 1)
    assert checkpointed.wait(timeout=10)  # the timeout bounds a broken thread, it checks no speed
    assert writer_settings == [0]
    with state.connect() as connection:
        assert connection.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == 1000


def test_wrong_id_count_fails_callers() -> None:
    writer = AuditWriter(lambda batch: [], name="audit-writer-ids")
    with pytest.raises(RuntimeError, match="returned 0 entry ids for 1 entries"):
        writer.append(("only",))
