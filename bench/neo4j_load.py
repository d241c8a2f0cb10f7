"""Benchmark loading into Neo4j, and shared-contact detection on Neo4j against the embedded store.

For generated data (``kycgraph.generate.generate_links``: one customer row and
two identifier rows, a phone and a bank account, per customer) the script
measures, in one run against one Neo4j server:

1. Plain load: the dataset's rows written with ``UNWIND $rows AS row CREATE``
   into an empty database. Customer nodes, then identifier nodes (one node
   per distinct identifier), then each customer's ``HAS_PHONE`` and
   ``HAS_BANK_ACCOUNT`` relationship by ``MATCH`` on both ends and
   ``CREATE``. It uses the store's batch size, one managed write transaction
   per batch and the store's constraints and indexes, so it differs from
   the idempotent load in ``CREATE`` against ``MERGE`` and in row preparation.
2. Idempotent load: ``Neo4jStore.load`` into an empty database, then a
   second ``Neo4jStore.load`` of the same data, which must change no counts.
3. Detection: ``shared_contact_clusters`` on the loaded Neo4j store and on a
   ``NetworkxStore`` loaded with the same dataset. Only detection is timed.

Load rates are input rows per second, where input rows are the dataset's
customer rows plus identifier rows (three per customer). Both loads are timed
from the ``Dataset`` to the last committed batch, Python row preparation
included. The database is emptied before every load and is left holding the
last idempotent load.

The script deletes everything in the database at ``NEO4J_URI``. It raises
unless that database is empty or ``--clear`` is given, so point it at a
server of its own::

    NEO4J_URI=bolt://127.0.0.1:7689 NEO4J_PASSWORD=... \\
        .venv/bin/python bench/neo4j_load.py --customers 100000 --repeat 3
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, LiteralString

import pandas as pd
from neo4j import Driver, GraphDatabase, ManagedTransaction

from graph.model import CUSTOMER_COLUMNS, IDENTIFIER_COLUMNS, Dataset, identifier_uid
from graph.neo4j_store import Neo4jStore
from graph.networkx_store import NetworkxStore
from graph.rules.shared_contacts import ClusterResult, shared_contact_clusters
from graph.store import GraphCounts, GraphStore
from kycgraph.generate import PLACEHOLDER_PHONE, generate_links
from kycgraph.settings import Settings

logger = logging.getLogger("bench.neo4j_load")

# Load-rate target: the idempotent load reaches at least this share of the plain CREATE rate.
LOAD_RATIO_TARGET = 0.5
# Detection target: Neo4j takes at most this multiple of the embedded store's time.
DETECTION_RATIO_TARGET = 3.0

PLACEHOLDER_KEY = f"+86{PLACEHOLDER_PHONE}"

# --- Plain CREATE statements ---------------------------------------------------------
# Each takes $rows, a list of maps, and creates one node or relationship per row.

# Create customer nodes with every non-null column of the row as a property.
CREATE_CUSTOMERS: LiteralString = "UNWIND $rows AS row CREATE (n:Customer) SET n = row"
# Create identifier nodes with the properties Neo4jStore.load sets, one label per statement.
CREATE_PHONES: LiteralString = (
    "UNWIND $rows AS row CREATE (i:Identifier:Phone {uid: row.uid, kind: row.kind, key: row.key, "
    "linkable: row.linkable, flags: row.flags})"
)
CREATE_BANK_ACCOUNTS: LiteralString = (
    "UNWIND $rows AS row CREATE (i:Identifier:BankAccount {uid: row.uid, kind: row.kind, key: row.key, "
    "linkable: row.linkable, flags: row.flags})"
)
# Create each customer's relationship to an identifier, found by the unique constraints on both ends.
CREATE_HAS_PHONE: LiteralString = (
    "UNWIND $rows AS row MATCH (source:Customer {customer_id: row.owner_id}) "
    "MATCH (target:Identifier {uid: row.uid}) "
    "CREATE (source)-[:HAS_PHONE {value: row.value, linkable: row.linkable, flags: row.flags}]->(target)"
)
CREATE_HAS_BANK_ACCOUNT: LiteralString = (
    "UNWIND $rows AS row MATCH (source:Customer {customer_id: row.owner_id}) "
    "MATCH (target:Identifier {uid: row.uid}) "
    "CREATE (source)-[:HAS_BANK_ACCOUNT {value: row.value, linkable: row.linkable, flags: row.flags}]->(target)"
)

# Delete every node and relationship, committing every 10,000 nodes. Setup only, not timed.
DELETE_ALL: LiteralString = "MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS"
# Count every node, to find out whether the database is empty.
COUNT_ALL: LiteralString = "MATCH (n) RETURN count(n) AS nodes"
# Name and version of the server's components, for the report.
SERVER_VERSION: LiteralString = "CALL dbms.components() YIELD name, versions RETURN name, versions[0] AS version"


@dataclass
class Timings:
    """Seconds of each repetition of one measurement."""

    seconds: list[float] = field(default_factory=list)

    def summary(self) -> dict[str, float]:
        return {
            "min": min(self.seconds),
            "median": statistics.median(self.seconds),
            "max": max(self.seconds),
        }


@dataclass
class Report:
    """Figures of one run, written as JSON with ``--json``."""

    started_at: str
    customers: int
    input_rows: int
    batch_size: int
    neo4j_uri: str
    neo4j_version: str
    python: str
    store_source: str
    load_average_before: float
    load_average_after: float = 0.0
    plain_load: Timings = field(default_factory=Timings)
    idempotent_load: Timings = field(default_factory=Timings)
    reload: Timings = field(default_factory=Timings)
    neo4j_detection: Timings = field(default_factory=Timings)
    embedded_detection: Timings = field(default_factory=Timings)
    counts: dict[str, Any] = field(default_factory=dict)
    clusters: int = 0
    customers_in_clusters: int = 0
    hub_values: int = 0

    def ratios(self) -> dict[str, float]:
        """Return idempotent/plain load rate and Neo4j/embedded detection time, each on medians."""
        plain = statistics.median(self.plain_load.seconds)
        idempotent = statistics.median(self.idempotent_load.seconds)
        neo4j = statistics.median(self.neo4j_detection.seconds)
        embedded = statistics.median(self.embedded_detection.seconds)
        return {"load_rate_ratio": plain / idempotent, "detection_time_ratio": neo4j / embedded}


def build_dataset(links: pd.DataFrame) -> Dataset:
    """Turn a link table into a Dataset of customers and their identifiers, as the loader would.

    Customers have only an id. Each link becomes a linkable customer
    identifier whose value is its key. The placeholder phone is flagged
    ``placeholder``, as the loader's phone denylist flags it.
    """
    customer_ids = links["customer_id"].drop_duplicates().reset_index(drop=True)
    customers = pd.DataFrame({column: pd.Series([None] * len(customer_ids), dtype=object)
                              for column in CUSTOMER_COLUMNS})
    customers["customer_id"] = customer_ids.astype(object)

    is_placeholder = (links["kind"] == "phone") & (links["key"] == PLACEHOLDER_KEY)
    identifiers = pd.DataFrame({column: pd.Series([None] * len(links), dtype=object) for column in IDENTIFIER_COLUMNS})
    identifiers["owner_type"] = "customer"
    identifiers["owner_id"] = links["customer_id"].to_numpy(dtype=object)
    identifiers["kind"] = links["kind"].to_numpy(dtype=object)
    identifiers["key"] = links["key"].to_numpy(dtype=object)
    identifiers["value"] = links["key"].to_numpy(dtype=object)
    identifiers["linkable"] = True
    identifiers["flags"] = is_placeholder.map({True: "placeholder", False: ""}).to_numpy(dtype=object)
    return Dataset(customers=customers, identifiers=identifiers)


def plain_create_batches(dataset: Dataset) -> list[tuple[LiteralString, list[dict[str, Any]]]]:
    """Return the plain load's statements, each with all its rows, in the order they must run."""
    customers = dataset.customers
    kinds, keys = dataset.identifiers["kind"].tolist(), dataset.identifiers["key"].tolist()
    identifiers = dataset.identifiers.assign(uid=[identifier_uid(k, v) for k, v in zip(kinds, keys, strict=True)])
    nodes = identifiers.drop_duplicates(subset=["uid"])
    phones, accounts = nodes["kind"] == "phone", nodes["kind"] == "bank_account"
    has_phone, has_account = identifiers["kind"] == "phone", identifiers["kind"] == "bank_account"
    node_columns = ["uid", "kind", "key", "linkable", "flags"]
    relationship_columns = ["owner_id", "uid", "value", "linkable", "flags"]
    return [
        (CREATE_CUSTOMERS, _rows(customers, CUSTOMER_COLUMNS)),
        (CREATE_PHONES, _rows(nodes[phones], node_columns)),
        (CREATE_BANK_ACCOUNTS, _rows(nodes[accounts], node_columns)),
        (CREATE_HAS_PHONE, _rows(identifiers[has_phone], relationship_columns)),
        (CREATE_HAS_BANK_ACCOUNT, _rows(identifiers[has_account], relationship_columns)),
    ]


def _rows(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """Return the given columns as one map per row, with the frame's values as they are (None stays None).

    Built from column lists because ``DataFrame.to_dict("records")`` boxes
    each value separately, which took 1.8 s against 0.3 s for 100,000
    customer rows under pandas 3.1.
    """
    values = [frame[column].tolist() for column in columns]
    return [dict(zip(columns, row, strict=True)) for row in zip(*values, strict=True)]


def plain_load(driver: Driver, database: str, dataset: Dataset, batch_size: int) -> None:
    """Write the dataset with plain CREATE statements, one managed write transaction per batch."""
    for statement, rows in plain_create_batches(dataset):
        for start in range(0, len(rows), batch_size):
            batch = rows[start:start + batch_size]

            def work(tx: ManagedTransaction, statement: LiteralString = statement,
                     batch: list[dict[str, Any]] = batch) -> None:
                tx.run(statement, rows=batch).consume()

            with driver.session(database=database) as session:
                session.execute_write(work)


def empty_database(driver: Driver, database: str) -> None:
    """Delete every node and relationship. Constraints and indexes stay."""
    with driver.session(database=database) as session:
        session.run(DELETE_ALL).consume()


def node_count(driver: Driver, database: str) -> int:
    records, _, _ = driver.execute_query(COUNT_ALL, database_=database)
    return int(records[0]["nodes"])


def server_version(driver: Driver, database: str) -> str:
    records, _, _ = driver.execute_query(SERVER_VERSION, database_=database)
    return ", ".join(f"{r['name']} {r['version']}" for r in records)


def store_source() -> str:
    """Return the last commit of graph/neo4j_store.py, or the blob hash of a working copy that differs from it."""
    repo = Path(__file__).resolve().parent.parent

    def git(*arguments: str) -> str:
        completed = subprocess.run(["git", *arguments], cwd=repo, capture_output=True, text=True, check=False)
        return completed.stdout.strip()

    commit = git("log", "-1", "--format=%h", "--", "graph/neo4j_store.py")
    changed = git("status", "--porcelain", "--", "graph/neo4j_store.py")
    if commit and not changed:
        return f"commit {commit}"
    return f"uncommitted working copy, blob {git('hash-object', 'graph/neo4j_store.py')[:12]}"


def timed(action: Callable[[], object]) -> float:
    """Run an action and return its wall-clock seconds."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def detection_summary(result: ClusterResult) -> tuple[set[tuple[str, ...]], list[tuple[object, ...]]]:
    """Return the member sets of the clusters and the hub values, for comparing two stores' results."""
    clusters = {tuple(m.customer_id for m in c.members) for c in result.clusters}
    hubs: list[tuple[object, ...]] = [(h.kind, h.key_masked, h.customer_count, h.reason) for h in result.hub_values]
    return clusters, hubs


def time_detection(store: GraphStore, repeat: int, timings: Timings) -> ClusterResult:
    """Run shared_contact_clusters ``repeat`` times on a loaded store, append each time and return the last result."""
    result = ClusterResult()
    for _ in range(repeat):
        start = time.perf_counter()
        result = shared_contact_clusters(store)
        timings.seconds.append(time.perf_counter() - start)
    return result


def warm_up(store: Neo4jStore, driver: Driver, database: str, batch_size: int, seed: int) -> None:
    """Run both loads and detection once on 1,000 customers, untimed, then empty the database.

    A fresh server runs the first batches several times slower while the JVM
    compiles its code and Cypher plans its statements, which would count
    against whichever load runs first.
    """
    dataset = build_dataset(generate_links(1_000, seed=seed))
    empty_database(driver, database)
    plain_load(driver, database, dataset, batch_size)
    empty_database(driver, database)
    store.load(dataset)
    shared_contact_clusters(store)
    empty_database(driver, database)


def run(args: argparse.Namespace) -> Report:
    """Run every measurement and return the figures.

    Raises:
        RuntimeError: the database contains data and ``--clear`` was not given,
            a reload changed the counts, the two loads built different
            graphs, or the stores found different clusters.
    """
    settings = Settings()
    batch_size = args.batch_size or settings.neo4j_batch_size
    store = Neo4jStore(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password,
                       database=settings.neo4j_database, batch_size=batch_size)
    driver = GraphDatabase.driver(settings.neo4j_uri, auth=(settings.neo4j_user, settings.neo4j_password))
    database = settings.neo4j_database
    try:
        store.verify()
        existing = node_count(driver, database)
        if existing and not args.clear:
            raise RuntimeError(
                f"the database {database!r} at {settings.neo4j_uri} contains {existing:,} nodes, and this "
                "benchmark deletes everything in it. Point NEO4J_URI at a server of its own, or pass --clear."
            )
        return _measure(args, settings, store, driver, batch_size)
    finally:
        store.close()
        driver.close()


def _measure(args: argparse.Namespace, settings: Settings, store: Neo4jStore, driver: Driver,
             batch_size: int) -> Report:
    database = settings.neo4j_database

    # 1. Data and schema. The schema is created before any timed load, and emptying the database keeps it.
    links = generate_links(args.customers, seed=args.seed)
    dataset = build_dataset(links)
    report = Report(
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        customers=len(dataset.customers),
        input_rows=len(dataset.customers) + len(dataset.identifiers),
        batch_size=batch_size,
        neo4j_uri=settings.neo4j_uri,
        neo4j_version=server_version(driver, database),
        python=platform.python_version(),
        store_source=store_source(),
        load_average_before=os.getloadavg()[0],
    )
    logger.info("%d customers, %d input rows, batch size %d", report.customers, report.input_rows, batch_size)
    store.ensure_schema()
    warm_up(store, driver, database, batch_size, args.seed)

    # 2. Plain and idempotent loads, alternating, each into an emptied database.
    plain_counts: GraphCounts | None = None
    loaded_counts: GraphCounts | None = None
    for repetition in range(1, args.repeat + 1):
        empty_database(driver, database)
        report.plain_load.seconds.append(timed(lambda: plain_load(driver, database, dataset, batch_size)))
        plain_counts = store.counts()
        logger.info("repetition %d: plain load %.1f s", repetition, report.plain_load.seconds[-1])

        empty_database(driver, database)
        report.idempotent_load.seconds.append(timed(lambda: store.load(dataset)))
        loaded_counts = store.counts()
        report.reload.seconds.append(timed(lambda: store.load(dataset)))
        if store.counts() != loaded_counts:
            raise RuntimeError(f"reloading the same data changed the counts: {loaded_counts} -> {store.counts()}")
        logger.info("repetition %d: idempotent load %.1f s, reload %.1f s", repetition,
                    report.idempotent_load.seconds[-1], report.reload.seconds[-1])
    if plain_counts != loaded_counts:
        raise RuntimeError(f"the plain and idempotent loads built different graphs: {plain_counts} != {loaded_counts}")
    assert loaded_counts is not None
    report.counts = {"nodes": loaded_counts.nodes, "relationships": loaded_counts.relationships}

    # 3. Detection on the Neo4j store as loaded, then on the embedded store.
    neo4j_result = time_detection(store, args.detect_repeat, report.neo4j_detection)
    embedded = NetworkxStore()
    embedded.load(dataset)
    embedded_result = time_detection(embedded, args.detect_repeat, report.embedded_detection)
    if detection_summary(neo4j_result) != detection_summary(embedded_result):
        raise RuntimeError("Neo4j and the embedded store found different clusters or hub values")
    report.clusters = len(neo4j_result.clusters)
    report.customers_in_clusters = neo4j_result.customers_in_clusters
    report.hub_values = len(neo4j_result.hub_values)
    report.load_average_after = os.getloadavg()[0]
    return report


def format_report(report: Report) -> str:
    """Return the figures as text: one line per measurement and the ratios against the targets."""
    lines = [
        f"{report.customers:,} customers, {report.input_rows:,} input rows, batch size {report.batch_size:,}, "
        f"{report.neo4j_version}, graph/neo4j_store.py at {report.store_source}",
        f"graph: {report.counts}",
        f"1-minute load average {report.load_average_before:.1f} before, {report.load_average_after:.1f} after",
        f"detection: {report.clusters:,} clusters, {report.customers_in_clusters:,} customers, "
        f"{report.hub_values} hub values",
    ]
    for name, timings in (
        ("plain CREATE load", report.plain_load),
        ("idempotent load", report.idempotent_load),
        ("reload (no change)", report.reload),
    ):
        s = timings.summary()
        lines.append(
            f"{name:20} {len(timings.seconds)} runs  seconds min/median/max "
            f"{s['min']:.1f}/{s['median']:.1f}/{s['max']:.1f}  "
            f"rows/s at median {report.input_rows / s['median']:,.0f}"
        )
    for name, timings in (("Neo4j detection", report.neo4j_detection),
                          ("embedded detection", report.embedded_detection)):
        s = timings.summary()
        lines.append(
            f"{name:20} {len(timings.seconds)} runs  seconds min/median/max "
            f"{s['min']:.2f}/{s['median']:.2f}/{s['max']:.2f}  first {timings.seconds[0]:.2f}"
        )
    ratios = report.ratios()
    load_verdict = "met" if ratios["load_rate_ratio"] >= LOAD_RATIO_TARGET else "missed"
    detection_verdict = "met" if ratios["detection_time_ratio"] <= DETECTION_RATIO_TARGET else "missed"
    lines.append(
        f"idempotent/plain load rate {ratios['load_rate_ratio']:.2f} "
        f"(target >= {LOAD_RATIO_TARGET}: {load_verdict})"
    )
    lines.append(
        f"Neo4j/embedded detection time {ratios['detection_time_ratio']:.2f} "
        f"(target <= {DETECTION_RATIO_TARGET}: {detection_verdict})"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark from the command line and return the exit status."""
    parser = argparse.ArgumentParser(
        prog="bench/neo4j_load.py",
        description="Measure Neo4j load rate against plain CREATE, and detection time on Neo4j against "
        "the embedded store. Deletes everything in the database at NEO4J_URI.",
    )
    parser.add_argument("--customers", type=int, default=100_000,
                        help="customers to generate, 1,000 to 10,000,000 (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default: %(default)s)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="repetitions of the plain load, idempotent load and reload (default: %(default)s)")
    parser.add_argument("--detect-repeat", type=int, default=5,
                        help="repetitions of detection on each store (default: %(default)s)")
    parser.add_argument("--batch-size", type=int, default=None,
                        help="rows per transaction for both loads (default: KYCGRAPH_NEO4J_BATCH_SIZE or 5000)")
    parser.add_argument("--clear", action="store_true",
                        help="allow deleting the data already in the database at NEO4J_URI")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this JSON file")
    args = parser.parse_args(argv)
    if args.repeat < 1 or args.detect_repeat < 1:
        parser.error("--repeat and --detect-repeat must be at least 1")

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    # The server warns about every property and relationship type the generated data lacks (policies, names).
    logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)
    report = run(args)
    print(format_report(report))
    if args.json is not None:
        payload = asdict(report) | {"ratios": report.ratios()}
        args.json.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
