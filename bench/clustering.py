"""Time shared-contact clustering against a DuckDB GROUP BY over the same link table.

Both engines read one link table made by ``kycgraph.generate.generate_links``
(one phone and one bank account per customer):

- DuckDB: ``GROUP BY kind, key HAVING count(DISTINCT customer_id) >= 2`` over
  the table loaded into an in-memory DuckDB table, fetched into Python. This
  query applies the pairwise rule alone and builds no transitive clusters.
- kycgraph: ``graph.rules.shared_contacts.label_clusters`` over a
  ``NetworkxStore`` loaded with the same rows. It finds the identifiers shared
  by two or more customers, splits off hub values, labels the connected
  components and computes the cluster ids. It does not look up names or
  policies and writes no files.

Steps:

1. Generate the link table once and write it to a Parquet file in a temporary
   folder.
2. For each round, run a fresh worker process per engine, DuckDB first
   (A B A B ...). A worker loads the table (not timed), runs its query once
   untimed as a warm-up, then once timed, and reports the wall and CPU time
   of the timed run and its peak resident set size (``ru_maxrss``).
3. Check that both engines found the same number of shared identifiers, then
   print medians, min-max and the kycgraph/DuckDB ratio of the medians.

Run ``.venv/bin/python bench/clustering.py --customers 1000000``; use
``--customers 10000 --rounds 1`` for a quick smoke run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, get_args

T = TypeVar("T")
Engine = Literal["duckdb", "kycgraph"]

DUCKDB_QUERY = (
    "SELECT kind, key, count(DISTINCT customer_id) FROM links "
    "GROUP BY kind, key HAVING count(DISTINCT customer_id) >= 2"
)
LINK_KINDS = ("phone", "bank_account")
# Targets from the benchmark's requirement: kycgraph at most twice DuckDB's time, at most 2 GB resident.
MAX_RATIO = 2.0
MAX_PEAK_BYTES = 2_000_000_000


@dataclass(frozen=True)
class WorkerResult:
    """One timed run of one engine in a fresh process.

    ``detail`` contains counts that only one engine reports: DuckDB's thread
    count, or kycgraph's carrier rows, clusters and hub values.
    """

    engine: Engine
    seconds: float
    cpu_seconds: float
    warmup_seconds: float
    setup_seconds: float
    setup_peak_bytes: int
    peak_bytes: int
    shared_identifiers: int
    detail: dict[str, int]


def _peak_bytes() -> int:
    # Linux reports ru_maxrss in KiB.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _time_after_warmup(run: Callable[[], T]) -> tuple[T, float, float, float]:
    """Call ``run`` once as a warm-up, then once timed.

    Returns:
        The timed call's result, the warm-up's wall time, and the timed call's
        wall and CPU time, all in seconds.
    """
    started = time.perf_counter()
    run()
    warmup_seconds = time.perf_counter() - started
    started, cpu_started = time.perf_counter(), time.process_time()
    result = run()
    return result, warmup_seconds, time.perf_counter() - started, time.process_time() - cpu_started


def _run_duckdb(links: Path) -> WorkerResult:
    import duckdb

    # 1. Setup, not timed: load the Parquet file into a native in-memory table.
    started = time.perf_counter()
    connection = duckdb.connect()
    connection.execute("CREATE TABLE links AS SELECT * FROM read_parquet(?)", [str(links)])
    setup_seconds = time.perf_counter() - started
    setup_peak = _peak_bytes()

    # 2. Warm-up run, then the timed run: the query and fetching its rows.
    rows, warmup_seconds, seconds, cpu_seconds = _time_after_warmup(
        lambda: connection.execute(DUCKDB_QUERY).fetchall()
    )

    threads = connection.execute("SELECT current_setting('threads')").fetchone()
    return WorkerResult(
        engine="duckdb",
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        warmup_seconds=warmup_seconds,
        setup_seconds=setup_seconds,
        setup_peak_bytes=setup_peak,
        peak_bytes=_peak_bytes(),
        shared_identifiers=len(rows),
        detail={"threads": int(threads[0]) if threads else 0},
    )


def _run_kycgraph(links: Path, hub_threshold: int, object_columns: bool) -> WorkerResult:
    import pandas as pd

    from graph.model import IDENTIFIER_COLUMNS, Dataset
    from graph.networkx_store import NetworkxStore
    from graph.rules.shared_contacts import label_clusters
    from kycgraph.settings import DEFAULT_PHONE_DENYLIST

    # 1. Setup, not timed: identifier rows as the loader writes them, loaded into the store.
    started = time.perf_counter()
    table = pd.read_parquet(links)
    if object_columns:
        table = table.astype(object)
    placeholders = {f"+86{number}" for number in DEFAULT_PHONE_DENYLIST}
    is_placeholder = (table["kind"] == "phone") & table["key"].isin(placeholders)
    identifiers = pd.DataFrame({
        "owner_type": "customer",
        "owner_id": table["customer_id"],
        "kind": table["kind"],
        "key": table["key"],
        "value": table["key"],
        "linkable": True,
        "flags": is_placeholder.map({True: "placeholder", False: ""}),
    }).reindex(columns=IDENTIFIER_COLUMNS)
    if object_columns:
        identifiers = identifiers.astype(object).where(identifiers.notna(), None)
    del table
    store = NetworkxStore()
    store.load(Dataset(identifiers=identifiers))
    del identifiers
    setup_seconds = time.perf_counter() - started
    setup_peak = _peak_bytes()

    # 2. Warm-up run, then the timed run.
    labelled, warmup_seconds, seconds, cpu_seconds = _time_after_warmup(
        lambda: label_clusters(store, link_kinds=LINK_KINDS, hub_threshold=hub_threshold)
    )
    peak = _peak_bytes()

    # 3. Not timed: the count to compare with DuckDB's rows.
    shared = store.shared_identifiers(LINK_KINDS, hub_threshold).shared
    return WorkerResult(
        engine="kycgraph",
        seconds=seconds,
        cpu_seconds=cpu_seconds,
        warmup_seconds=warmup_seconds,
        setup_seconds=setup_seconds,
        setup_peak_bytes=setup_peak,
        peak_bytes=peak,
        shared_identifiers=len(shared),
        detail={
            "carrier_rows": len(labelled.carriers),
            "clusters": int(labelled.carriers["cluster_id"].nunique()),
            "customers_in_clusters": int(labelled.carriers["customer_id"].nunique()),
            "hub_values": len(labelled.hub_values),
        },
    )


def _run_worker(engine: Engine, links: Path, hub_threshold: int, object_columns: bool) -> WorkerResult:
    """Run one engine in a fresh Python process, so that its peak memory is its own."""
    command = [
        sys.executable, str(Path(__file__).resolve()), "--worker", engine, "--links", str(links),
        "--hub-threshold", str(hub_threshold),
    ]
    if object_columns:
        command.append("--object-columns")
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"the {engine} worker failed with exit code {completed.returncode}:\n{completed.stderr}")
    return WorkerResult(**json.loads(completed.stdout.strip().splitlines()[-1]))


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.3f} s ({min(values):.3f}-{max(values):.3f})"


def _megabytes(value: float) -> str:
    return f"{value / 1e6:,.0f} MB"


def _summarise(
    results: list[WorkerResult], args: argparse.Namespace, link_rows: int, load_before: tuple[float, float, float]
) -> dict[str, Any]:
    by_engine = {engine: [r for r in results if r.engine == engine] for engine in get_args(Engine)}
    times = {engine: [r.seconds for r in runs] for engine, runs in by_engine.items()}
    ratio = statistics.median(times["kycgraph"]) / statistics.median(times["duckdb"])
    round_ratios = [k / d for k, d in zip(times["kycgraph"], times["duckdb"], strict=True)]
    peak = {engine: max(r.peak_bytes for r in runs) for engine, runs in by_engine.items()}
    return {
        "customers": args.customers,
        "link_rows": link_rows,
        "rounds": args.rounds,
        "seed": args.seed,
        "hub_threshold": args.hub_threshold,
        "object_columns": args.object_columns,
        "python": platform.python_version(),
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        # Other processes on the machine slow both engines, and the 1-minute load average shows how busy it was.
        "load_average_before": load_before,
        "load_average_after": os.getloadavg(),
        "ratio_of_medians": ratio,
        "round_ratios": round_ratios,
        "peak_bytes": peak,
        "ratio_met": ratio <= MAX_RATIO,
        "memory_met": peak["kycgraph"] <= MAX_PEAK_BYTES,
        "runs": [asdict(r) for r in results],
    }


def _print_report(summary: dict[str, Any], results: list[WorkerResult]) -> None:
    by_engine = {engine: [r for r in results if r.engine == engine] for engine in get_args(Engine)}
    print(f"{summary['customers']:,} customers, {summary['link_rows']:,} link rows, {summary['rounds']} rounds")
    print(f"shared identifiers: {by_engine['duckdb'][0].shared_identifiers:,} (both engines)")
    print(f"kycgraph result: {by_engine['kycgraph'][0].detail}")
    print(f"duckdb threads: {by_engine['duckdb'][0].detail['threads']}, CPUs: {summary['cpus']}")
    print(
        f"1-minute load average: {summary['load_average_before'][0]:.2f} before, "
        f"{summary['load_average_after'][0]:.2f} after"
    )

    print()
    print("| engine | timed run, median (min-max) | CPU time of timed run, median | first run, median "
          "| setup, median | peak RSS after setup | peak RSS |")
    print("|---|---|---|---|---|---|---|")
    for engine, runs in by_engine.items():
        print(
            f"| {engine} | {_spread([r.seconds for r in runs])} "
            f"| {statistics.median(r.cpu_seconds for r in runs):.3f} s "
            f"| {statistics.median(r.warmup_seconds for r in runs):.3f} s "
            f"| {statistics.median(r.setup_seconds for r in runs):.2f} s "
            f"| {_megabytes(max(r.setup_peak_bytes for r in runs))} "
            f"| {_megabytes(max(r.peak_bytes for r in runs))} |"
        )

    print()
    ratios = summary["round_ratios"]
    verdict = "met" if summary["ratio_met"] else "MISSED"
    print(
        f"kycgraph/DuckDB, ratio of medians: {summary['ratio_of_medians']:.2f} "
        f"(per round {min(ratios):.2f}-{max(ratios):.2f}; target <= {MAX_RATIO}: {verdict})"
    )
    verdict = "met" if summary["memory_met"] else "MISSED"
    print(
        f"kycgraph peak RSS: {_megabytes(summary['peak_bytes']['kycgraph'])} "
        f"(target <= {_megabytes(MAX_PEAK_BYTES)}: {verdict})"
    )


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--customers", type=int, default=1_000_000,
                        help="number of customers to generate (1,000 to 10,000,000, default 1,000,000)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="timed runs per engine, each in a fresh process (default 5)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the link-table generator (default 7)")
    parser.add_argument("--hub-threshold", type=int, default=20,
                        help="largest number of customers an identifier may join (default 20, the rule's default)")
    parser.add_argument("--object-columns", action="store_true",
                        help="give kycgraph object-dtype text columns, as the export loader builds them, "
                             "in place of the generator's Arrow-backed str columns")
    parser.add_argument("--json", type=Path, help="also write the summary and every run to this JSON file")
    parser.add_argument("--worker", choices=get_args(Engine), help=argparse.SUPPRESS)
    parser.add_argument("--links", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.rounds < 1:
        parser.error(f"--rounds must be 1 or more, got {args.rounds}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    if args.worker is not None:
        if args.worker == "duckdb":
            result = _run_duckdb(args.links)
        else:
            result = _run_kycgraph(args.links, args.hub_threshold, args.object_columns)
        print(json.dumps(asdict(result)))
        return 0

    from kycgraph.generate import generate_links

    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="kycgraph-bench-") as folder:
        # 1. One link table for every run.
        links = Path(folder) / "links.parquet"
        table = generate_links(args.customers, seed=args.seed)
        table.to_parquet(links, index=False)
        link_rows = len(table)
        del table

        # 2. Alternating rounds, a fresh process per engine and round.
        results: list[WorkerResult] = []
        for round_number in range(1, args.rounds + 1):
            for engine in get_args(Engine):
                result = _run_worker(engine, links, args.hub_threshold, args.object_columns)
                print(f"round {round_number}: {engine} {result.seconds:.3f} s", file=sys.stderr)
                results.append(result)

    # 3. Both engines must have found the same shared identifiers.
    counts = {r.shared_identifiers for r in results}
    if len(counts) != 1:
        raise RuntimeError(f"the engines found different numbers of shared identifiers: {sorted(counts)}")
    summary = _summarise(results, args, link_rows, load_before)
    _print_report(summary, results)
    if args.json is not None:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
