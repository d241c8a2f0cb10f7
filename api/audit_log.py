"""Group commit of audit entries by one writer thread, for callers on threads and on event loops.

Every request that returns customer data waits until its audit entry is
committed before it responds. One commit per request would make each wait for
its own fsync, and fifty threads taking turns at the write lock spent more
time waking each other than writing. Instead, callers queue their entries
and one writer thread commits everything queued in one transaction, then
wakes the callers of that batch:

- a caller on a thread blocks on a ``concurrent.futures.Future``;
- a coroutine awaits an ``asyncio.Future``. The writer resolves all the
  futures of one event loop in one callback, so a batch costs each loop one
  wake-up instead of one per entry.

The writer thread starts on the first entry and stops after it has been idle
for ``IDLE_SECONDS``, so an idle StateDB holds no thread.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

logger = logging.getLogger(__name__)

# Seconds the writer thread waits for a new entry before it stops.
IDLE_SECONDS = 5.0
# Entries committed in one transaction at most. Later entries wait for the next transaction.
MAX_BATCH = 1000

# Inserts a batch of entries' column values in one transaction and returns their entry ids, in order.
CommitBatch = Callable[[Sequence[tuple[Any, ...]]], list[int]]


@dataclass
class _Entry:
    values: tuple[Any, ...]
    thread_waiter: Future[int] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    loop_waiter: asyncio.Future[int] | None = None


class AuditWriter:
    """Commits queued audit entries in batches on one thread of its own."""

    def __init__(self, commit_batch: CommitBatch, name: str = "audit-writer") -> None:
        self._commit_batch = commit_batch
        self._name = name
        self._queue: queue.SimpleQueue[_Entry] = queue.SimpleQueue()
        # Guards starting and stopping the writer thread, so exactly one runs while entries wait.
        self._lock = threading.Lock()
        self._running = False

    def append(self, values: tuple[Any, ...]) -> int:
        """Queue one entry, block until it is committed, and return its entry id.

        Raises:
            Exception: the commit of the batch that held the entry failed.
        """
        waiter: Future[int] = Future()
        self._submit(_Entry(values, thread_waiter=waiter))
        return waiter.result()

    async def append_async(self, values: tuple[Any, ...]) -> int:
        """Queue one entry, wait without blocking the event loop until it is committed, and return its id.

        Raises:
            Exception: the commit of the batch that held the entry failed.
        """
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[int] = loop.create_future()
        self._submit(_Entry(values, loop=loop, loop_waiter=waiter))
        return await waiter

    def _submit(self, entry: _Entry) -> None:
        self._queue.put(entry)
        with self._lock:
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name=self._name, daemon=True).start()

    def _run(self) -> None:
        try:
            self._commit_until_idle()
        except BaseException:
            # Unexpected: let the next entry start a new thread instead of waiting for this one forever.
            logger.exception("the audit writer thread stopped on an error")
            with self._lock:
                self._running = False
            raise

    def _commit_until_idle(self) -> None:
        while True:
            try:
                first = self._queue.get(timeout=IDLE_SECONDS)
            except queue.Empty:
                with self._lock:
                    # An entry queued after the timeout but before the lock found the thread still running.
                    if self._queue.empty():
                        self._running = False
                        return
                continue
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(batch)

    def _commit(self, batch: list[_Entry]) -> None:
        try:
            entry_ids = self._commit_batch([entry.values for entry in batch])
            if len(entry_ids) != len(batch):
                raise RuntimeError(f"the commit returned {len(entry_ids)} entry ids for {len(batch)} entries")
        except Exception as exc:
            logger.error("writing %d audit entries failed: %s", len(batch), exc)
            outcomes: list[tuple[int | None, BaseException | None]] = [(None, exc)] * len(batch)
        else:
            outcomes = [(entry_id, None) for entry_id in entry_ids]

        by_loop: dict[asyncio.AbstractEventLoop, list[tuple[asyncio.Future[int], int | None, BaseException | None]]]
        by_loop = {}
        for entry, (entry_id, error) in zip(batch, outcomes, strict=True):
            if entry.thread_waiter is not None:
                if error is None:
                    entry.thread_waiter.set_result(entry_id or 0)
                else:
                    entry.thread_waiter.set_exception(error)
            elif entry.loop is not None and entry.loop_waiter is not None:
                by_loop.setdefault(entry.loop, []).append((entry.loop_waiter, entry_id, error))
        for loop, waiters in by_loop.items():
            try:
                loop.call_soon_threadsafe(_resolve, waiters)
            except RuntimeError:
                # The loop closed while its requests waited, so no request is left to respond to.
                logger.warning("an event loop closed before %d audit entries were confirmed", len(waiters))


def _resolve(waiters: list[tuple[asyncio.Future[int], int | None, BaseException | None]]) -> None:
    for waiter, entry_id, error in waiters:
        if waiter.done():  # the request was cancelled, e.g. the client went away
            continue
        if error is None:
            waiter.set_result(entry_id or 0)
        else:
            waiter.set_exception(error)


# Seconds between WAL checkpoints while audit entries are being committed.
CHECKPOINT_SECONDS = 1.0


class PeriodicCheckpoint:
    """Runs a checkpoint on a thread of its own, once per ``interval`` seconds in which there were commits.

    SQLite checkpoints the WAL inside a commit once it passes 1,000 pages,
    and that commit, with every request waiting for it, then also copies the
    pages into the database and flushes both files. The audit writer turns
    that off and calls :meth:`note_commit` instead, so the copying happens
    here, beside the commits. The thread stops after an interval without
    commits.
    """

    def __init__(self, checkpoint: Callable[[], None], name: str = "wal-checkpoint") -> None:
        self._checkpoint = checkpoint
        self._name = name
        self._lock = threading.Lock()
        self._pending = False
        self._running = False

    def note_commit(self) -> None:
        """Record a commit, and start the thread if it is not running."""
        with self._lock:
            self._pending = True
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, name=self._name, daemon=True).start()

    def _run(self) -> None:
        while True:
            time.sleep(CHECKPOINT_SECONDS)
            with self._lock:
                if not self._pending:
                    self._running = False
                    return
                self._pending = False
            try:
                self._checkpoint()
            except Exception as exc:
                logger.warning("checkpointing the state database's WAL failed, retrying after the next commit: %s", exc)
