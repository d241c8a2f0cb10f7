"""Neo4j-only behaviour of the Neo4j store: idempotent batched loads, plans, resume, parity with networkx.

Tests marked ``neo4j`` need the server at ``NEO4J_URI`` (``server/neo4jctl start``).
The test that stops and starts the local server also needs ``KYCGRAPH_NEO4J_CTL=1``.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any, cast

import pandas as pd
import pytest
from neo4j import GraphDatabase
from pandas.testing import assert_frame_equal

import graph.neo4j_store
from graph.model import (
    AGENT_COLUMNS,
    AGENT_CONTACT_COLUMNS,
    CUSTOMER_COLUMNS,
    IDENTIFIER_COLUMNS,
    KIND_LABELS,
    KIND_RELATIONSHIPS,
    OTHER_IDENTIFIER_LABEL,
    OTHER_IDENTIFIER_RELATIONSHIP,
    POLICY_COLUMNS,
    POLICY_ROLE_COLUMNS,
    ROLE_RELATIONSHIPS,
    Dataset,
)
from graph.neo4j_store import (
    AGENT_CONTACT_PROPERTIES,
    AGENT_PROPERTIES,
    CUSTOMER_PROPERTIES,
    DELETE_STALE_STATEMENTS,
    LOAD_STATEMENTS,
    MERGE_HAS_IDENTIFIER,
    MERGE_IDENTIFIERS,
    MERGE_ROLES,
    POLICY_PROPERTIES,
    Neo4jStore,
)
from graph.networkx_store import NetworkxStore
from graph.store import GraphStore
from kycgraph.errors import StoreError, StoreUnavailableError
from kycgraph.settings import Settings

NEO4JCTL = Path(__file__).resolve().parents[2] / "server" / "neo4jctl"


def phone(n: int) -> str:
    return f"+86139{n:08d}"


def account(n: int) -> str:
    return f"62220200{n:011d}"


def frame(rows: list[dict[str, Any]], columns: list[str]) -> pd.DataFrame:
    """Build a Dataset frame as the loader does: object columns, None for missing values."""
    return pd.DataFrame([{c: row.get(c) for c in columns} for row in rows], columns=columns, dtype=object)


def identifier(owner: str, kind: str, key: str, value: str | None = None, *, owner_type: str = "customer",
               linkable: bool = True, flags: str = "") -> dict[str, Any]:
    return {
        "owner_type": owner_type, "owner_id": owner, "kind": kind, "key": key, "value": value or key,
        "linkable": linkable, "flags": flags, "source_file": "customers.csv", "source_row": 2, "column": kind,
    }


def small_dataset() -> Dataset:
    """Twelve customers with shared, hub, unlinkable and agent-owned identifiers, three policies, two agents."""
    customers = [
        {"customer_id": f"C{i:02d}", "name": f"客户{i}", "gender": "MF"[i % 2],
         "birth_date": date(1970 + i, 1 + i % 12, 1 + i), "id_type": "resident_id",
         "source_file": "customers.csv", "source_row": i + 1}
        for i in range(1, 11)
    ]
    customers.append({"customer_id": "C11", "name": None, "gender": None, "birth_date": None, "id_type": None})
    customers.append({"customer_id": "C12", "name": "无联系方式", "id_type": "passport"})
    identifiers = [
        # phone 1: two customers, written differently, one row flagged.
        identifier("C01", "phone", phone(1), "139 0000 0001"),
        identifier("C02", "phone", phone(1), "+86 139-0000-0001", flags="invalid_number"),
        # phone 2: three customers, over max_members=2 in the hub test.
        identifier("C03", "phone", phone(2)),
        identifier("C04", "phone", phone(2)),
        identifier("C05", "phone", phone(2)),
        # a placeholder shared by two customers.
        identifier("C06", "phone", "+8613800138000", flags="placeholder"),
        identifier("C07", "phone", "+8613800138000", flags="placeholder"),
        # a landline without area code: never links.
        identifier("C08", "phone", "local:12345678", linkable=False, flags="no_area_code"),
        identifier("C09", "phone", "local:12345678", linkable=False, flags="no_area_code"),
        # phone 3: one customer and an agent; the agent is no carrier.
        identifier("C10", "phone", phone(3)),
        identifier("A1", "phone", phone(3), owner_type="agent"),
        identifier("A1/2", "phone", phone(1), owner_type="agent_contact"),
        # bank account 1: two customers and the premium account of policy P1.
        identifier("C01", "bank_account", account(1)),
        identifier("C03", "bank_account", account(1), "6222 0200 0000 0000 0001"),
        identifier("C04", "bank_account", account(4)),
        identifier("C02", "address", "广东省广州市天河区体育西路1号"),
        identifier("C04", "address", "广东省广州市天河区体育西路1号"),
        identifier("C05", "email", "a@example.com"),
        identifier("C05", "device_id", "dev-0001"),
        identifier("C06", "device_id", "dev-0001"),
    ]
    policies: list[dict[str, Any]] = [
        {"policy_no": "P1", "product_code": "L01", "product_name": "福寿安康终身寿险", "term_years": 20,
         "application_date": date(2026, 3, 1), "signed_date": date(2026, 3, 8), "agent_id": "A1",
         "channel": "agency", "premium_account": account(1)},
        {"policy_no": "P2", "product_name": "银保两全", "agent_id": "A2", "channel": "bancassurance",
         "premium_account": account(2)},
        {"policy_no": "P3", "product_name": None, "agent_id": None, "channel": None, "premium_account": None},
    ]
    roles = [
        {"policy_no": "P1", "customer_id": "C01", "role": "policyholder"},
        {"policy_no": "P1", "customer_id": "C02", "role": "insured"},
        {"policy_no": "P1", "customer_id": "C03", "role": "beneficiary"},
        {"policy_no": "P2", "customer_id": "C04", "role": "policyholder"},
        {"policy_no": "P2", "customer_id": "C04", "role": "insured"},
        {"policy_no": "P3", "customer_id": "C01", "role": "insured"},
    ]
    agents = [
        {"agent_id": "A1", "name": "营销员甲", "agent_type": "agent", "branch": "广州"},
        {"agent_id": "A2", "name": "专管员乙", "agent_type": "bancassurance_specialist"},
    ]
    contacts = [{"contact_id": "A1/2", "agent_id": "A1", "contact_type": "relative", "name": "亲属"}]
    return Dataset(
        customers=frame(customers, CUSTOMER_COLUMNS),
        identifiers=frame(identifiers, IDENTIFIER_COLUMNS),
        policies=frame(policies, POLICY_COLUMNS),
        policy_roles=frame(roles, POLICY_ROLE_COLUMNS),
        agents=frame(agents, AGENT_COLUMNS),
        agent_contacts=frame(contacts, AGENT_CONTACT_COLUMNS),
    )


def many_customers_dataset(customers: int) -> Dataset:
    """Customers in pairs that share a phone, each with its own bank account and policy."""
    ids = [f"C{i:05d}" for i in range(customers)]
    return Dataset(
        customers=frame([{"customer_id": c, "name": f"客户{c}"} for c in ids], CUSTOMER_COLUMNS),
        identifiers=frame(
            [identifier(c, "phone", phone(i // 2)) for i, c in enumerate(ids)]
            + [identifier(c, "bank_account", account(i)) for i, c in enumerate(ids)],
            IDENTIFIER_COLUMNS,
        ),
        policies=frame([{"policy_no": f"P{c}", "premium_account": account(i)} for i, c in enumerate(ids)],
                       POLICY_COLUMNS),
        policy_roles=frame([{"policy_no": f"P{c}", "customer_id": c, "role": "policyholder"} for c in ids],
                           POLICY_ROLE_COLUMNS),
    )


def assert_same_rows(actual: pd.DataFrame, expected: pd.DataFrame) -> None:
    """Assert equal frames; the dtypes of empty frames are not compared, since no row carries them."""
    assert_frame_equal(actual, expected, check_dtype=not expected.empty, check_index_type=not expected.empty)


def networkx_with(dataset: Dataset) -> NetworkxStore:
    store = NetworkxStore()
    store.load(dataset)
    return store


@pytest.fixture
def store(neo4j_store: GraphStore) -> Neo4jStore:
    """The empty Neo4j store of ``neo4j_store``, typed as a Neo4jStore."""
    return cast(Neo4jStore, neo4j_store)


@pytest.fixture
def small_batch_store(store: Neo4jStore) -> Iterator[Neo4jStore]:
    """A second store on the same server that sends 3 rows per batch; ``store`` clears the data afterwards."""
    small = Neo4jStore.from_settings(Settings(neo4j_batch_size=3))
    try:
        yield small
    finally:
        small.close()


def test_neo4j_store_statements_cover_model() -> None:
    assert set(MERGE_IDENTIFIERS) == set(KIND_LABELS.values()) | {OTHER_IDENTIFIER_LABEL}
    assert set(MERGE_ROLES) == set(ROLE_RELATIONSHIPS.values())
    relationship_types = set(KIND_RELATIONSHIPS.values()) | {OTHER_IDENTIFIER_RELATIONSHIP}
    assert {t for _, t in MERGE_HAS_IDENTIFIER} == relationship_types
    assert {o for o, _ in MERGE_HAS_IDENTIFIER} == {"customer", "agent", "agent_contact"}


def test_neo4j_store_node_properties_cover_model() -> None:
    assert ["customer_id", *CUSTOMER_PROPERTIES] == CUSTOMER_COLUMNS
    assert ["policy_no", *POLICY_PROPERTIES] == POLICY_COLUMNS
    assert ["agent_id", *AGENT_PROPERTIES] == AGENT_COLUMNS
    assert ["contact_id", *AGENT_CONTACT_PROPERTIES] == AGENT_CONTACT_COLUMNS


def test_neo4j_store_verify_names_uri_and_fix() -> None:
    # Port 9 (discard) on this machine has no Bolt server.
    unreachable = Neo4jStore("bolt://127.0.0.1:9", "neo4j", "secret-password-123")
    try:
        with pytest.raises(StoreUnavailableError) as raised:
            unreachable.verify()
    finally:
        unreachable.close()
    message = str(raised.value)
    assert "bolt://127.0.0.1:9" in message
    assert "server/neo4jctl start" in message
    assert "NEO4J_URI" in message
    assert "secret-password-123" not in message


@pytest.mark.neo4j
def test_neo4j_store_reload_keeps_counts(store: Neo4jStore) -> None:
    dataset = small_dataset()
    store.load(dataset)
    first = store.counts()
    store.load(dataset)
    assert store.counts() == first


@pytest.mark.neo4j
def test_neo4j_store_duplicate_account_one_node(store: Neo4jStore) -> None:
    rows = [
        identifier("C01", "bank_account", account(7), "6222 0200 0000 0000 0007"),
        identifier("C01", "bank_account", account(7), "6222020000000000007"),  # same owner and key again
        identifier("C02", "bank_account", account(7)),
    ]
    dataset = Dataset(
        customers=frame([{"customer_id": "C01"}, {"customer_id": "C02"}], CUSTOMER_COLUMNS),
        identifiers=frame(rows, IDENTIFIER_COLUMNS),
        policies=frame([{"policy_no": "P1", "premium_account": account(7)}], POLICY_COLUMNS),
    )
    store.load(dataset)
    counts = store.counts()
    assert counts.nodes["BankAccount"] == 1
    assert counts.relationships["HAS_BANK_ACCOUNT"] == 2
    assert counts.relationships["PAID_FROM"] == 1
    carriers = store.shared_identifiers(["bank_account"], 20).carriers
    assert carriers["value"].tolist() == ["6222020000000000007", account(7)]  # the last row wins


@pytest.mark.neo4j
def test_neo4j_store_load_plans_have_no_eager(store: Neo4jStore) -> None:
    store.ensure_schema()
    for statement, operators in _plan_operators(LOAD_STATEMENTS).items():
        assert "Eager" not in operators, f"{statement}: {operators}"
        assert {"Merge", "LockingMerge"} & set(operators), f"{statement}: {operators}"


@pytest.mark.neo4j
def test_neo4j_store_correction_eager_after_filter(store: Neo4jStore) -> None:
    store.ensure_schema()
    for statement, operators in _plan_operators(DELETE_STALE_STATEMENTS).items():
        assert "Delete" in operators, f"{statement}: {operators}"
        assert "Merge" not in operators, f"{statement}: {operators}"
        # Each Eager reads from a Filter, so it buffers only the relationships to delete.
        children_of_eager = [operators[i + 1] for i, name in enumerate(operators) if name == "Eager"]
        assert children_of_eager, f"{statement}: {operators}"
        assert set(children_of_eager) == {"Filter"}, f"{statement}: {operators}"


def _plan_operators(statements: tuple[str, ...]) -> dict[str, list[str]]:
    """Return the operator names of each statement's plan, parents before children, from EXPLAIN."""
    settings = Settings()
    driver = GraphDatabase.driver(settings.neo4j_uri, auth=(settings.neo4j_user, settings.neo4j_password))
    operators: dict[str, list[str]] = {}
    try:
        with driver.session(database=settings.neo4j_database) as session:
            for statement in statements:
                plan = session.run("EXPLAIN " + statement, rows=[]).consume().plan
                assert plan is not None, statement
                operators[statement] = _operators(plan)
    finally:
        driver.close()
    return operators


def _operators(plan: dict[str, Any]) -> list[str]:
    # Operator names come as "Eager@neo4j"; EagerAggregation is an aggregation, not an Eager.
    operators = [str(plan["operatorType"]).split("@")[0]]
    for child in plan.get("children", []):
        operators += _operators(child)
    return operators


@pytest.mark.neo4j
def test_neo4j_store_rerun_after_failure_completes(store: Neo4jStore, small_batch_store: Neo4jStore) -> None:
    dataset = small_dataset()
    store.load(dataset)
    clean = store.counts()
    store.clear()

    def fail_after_second_batch(_step: str, done: int, _total: int) -> None:
        if done == 2:
            raise RuntimeError("simulated failure after batch 2")

    with pytest.raises(RuntimeError, match="after batch 2"):
        small_batch_store.load(dataset, progress=fail_after_second_batch)
    partial = store.counts()
    assert partial.nodes == {"Customer": 6}  # two committed batches of three customers
    assert partial.relationships == {}

    small_batch_store.load(dataset)
    assert store.counts() == clean


@pytest.mark.neo4j
def test_neo4j_store_rerun_after_closed_driver(store: Neo4jStore) -> None:
    dataset = many_customers_dataset(40)
    store.load(dataset)
    clean = store.counts()
    store.clear()

    broken = Neo4jStore.from_settings(Settings(neo4j_batch_size=7))
    with pytest.raises(StoreError, match="Loading into Neo4j failed"):
        broken.load(dataset, progress=lambda _s, done, _t: broken.close() if done == 3 else None)
    assert 0 < store.counts().total_nodes < clean.total_nodes

    store.load(dataset)
    assert store.counts() == clean


@pytest.mark.neo4j
def test_neo4j_store_progress_reports_batches(small_batch_store: Neo4jStore) -> None:
    calls: list[tuple[str, int, int]] = []
    small_batch_store.load(small_dataset(), progress=lambda *call: calls.append(call))
    total = calls[-1][2]
    assert calls == [("load", done, total) for done in range(1, total + 1)]
    assert total > 10


@pytest.mark.neo4j
def test_neo4j_store_counts_match_networkx(store: Neo4jStore) -> None:
    dataset = small_dataset()
    store.load(dataset)
    expected = networkx_with(dataset).counts()
    assert store.counts() == expected
    assert store.counts().nodes["OtherIdentifier"] == 1
    assert store.counts().nodes["BankAccount"] == 3


@pytest.mark.neo4j
@pytest.mark.parametrize(
    ("kinds", "max_members"),
    [
        pytest.param(["phone", "bank_account"], 20, id="phone-account"),
        pytest.param(["phone", "bank_account"], 2, id="phone-account-max-2"),
        pytest.param(["address", "email", "device_id"], 20, id="address-email-device"),
        pytest.param(["email"], 20, id="nothing-shared"),
        pytest.param(["passport_no"], 20, id="unknown-kind"),
    ],
)
def test_neo4j_store_shared_identifiers_match_networkx(
    store: Neo4jStore, kinds: list[str], max_members: int
) -> None:
    dataset = small_dataset()
    store.load(dataset)
    expected = networkx_with(dataset).shared_identifiers(kinds, max_members)
    actual = store.shared_identifiers(kinds, max_members)
    assert_same_rows(actual.shared, expected.shared)
    assert_same_rows(actual.carriers, expected.carriers)


@pytest.mark.neo4j
def test_neo4j_store_shared_identifiers_rule(store: Neo4jStore) -> None:
    store.load(small_dataset())
    result = store.shared_identifiers(["phone", "bank_account"], 2)
    shared = result.shared.set_index("key")
    assert shared.at[phone(1), "customer_count"] == 2
    assert shared.at[phone(1), "flags"] == "invalid_number"
    assert shared.at[phone(2), "customer_count"] == 3
    assert phone(3) not in shared.index  # the agent does not count
    assert "local:12345678" not in shared.index  # not linkable
    assert set(result.carriers["key"]) == {phone(1), account(1), "+8613800138000"}  # phone 2 is over 2


@pytest.mark.neo4j
def test_neo4j_store_customer_queries_match_networkx(store: Neo4jStore) -> None:
    dataset = small_dataset()
    store.load(dataset)
    reference = networkx_with(dataset)
    for ids in (["C04", "C01", "C02", "C03", "C01", "C99"], ["C11", "C12"], []):
        assert_same_rows(store.customer_policies(ids), reference.customer_policies(ids))
        assert_same_rows(store.customer_details(ids), reference.customer_details(ids))
    details = store.customer_details(["C01"])
    assert details.at[0, "birth_date"] == date(1971, 2, 2)


@pytest.mark.neo4j
def test_neo4j_store_reload_replaces_properties(store: Neo4jStore) -> None:
    dataset = small_dataset()
    store.load(dataset)
    corrected = Dataset(customers=frame([{"customer_id": "C01", "name": "更正后", "gender": "F"}], CUSTOMER_COLUMNS))
    store.load(corrected)
    reference = networkx_with(dataset)
    reference.load(corrected)
    assert_frame_equal(store.customer_details(["C01"]), reference.customer_details(["C01"]))
    assert store.customer_details(["C01"]).at[0, "birth_date"] is None


def reassigned_policies() -> Dataset:
    """Return small_dataset()'s policies again: P1 sold by A2 from C04's account, P2 with no agent or
    account, P3 sold by A1 from account 1."""
    policies = [
        {"policy_no": "P1", "product_name": "福寿安康终身寿险", "agent_id": "A2", "channel": "agency",
         "premium_account": account(4)},
        {"policy_no": "P2", "product_name": "银保两全", "agent_id": None, "channel": "bancassurance",
         "premium_account": None},
        {"policy_no": "P3", "agent_id": "A1", "premium_account": account(1)},
    ]
    return Dataset(policies=frame(policies, POLICY_COLUMNS))


def assert_sales_match(store: Neo4jStore, reference: NetworkxStore) -> None:
    """Assert that the store returns the reference's counts and every frame that SOLD or PAID_FROM feeds."""
    assert store.counts() == reference.counts()
    assert_same_rows(store.agent_sales(["A1", "A2"]), reference.agent_sales(["A1", "A2"]))
    assert_same_rows(store.agent_policyholders(), reference.agent_policyholders())
    kinds = ["phone", "bank_account"]
    assert_same_rows(store.agent_identifier_matches(kinds), reference.agent_identifier_matches(kinds))
    assert_same_rows(store.premium_payers(), reference.premium_payers())
    assert_same_rows(store.shared_identifiers(kinds, 20).shared, reference.shared_identifiers(kinds, 20).shared)


@pytest.mark.neo4j
def test_neo4j_store_reload_replaces_sales(store: Neo4jStore) -> None:
    dataset = small_dataset()
    store.load(dataset)
    store.load(reassigned_policies())
    reference = networkx_with(dataset)
    reference.load(reassigned_policies())
    assert_sales_match(store, reference)
    sales = store.agent_sales(["A1", "A2"])
    assert sorted(set(zip(sales["agent_id"], sales["policy_no"], strict=True))) == [("A1", "P3"), ("A2", "P1")]
    counts = store.counts()
    assert (counts.relationships["SOLD"], counts.relationships["PAID_FROM"]) == (2, 2)
    assert counts.nodes["BankAccount"] == 2  # account 2 was P2's only


@pytest.mark.neo4j
def test_neo4j_store_reload_rerun_after_failure(store: Neo4jStore, small_batch_store: Neo4jStore) -> None:
    dataset = small_dataset()
    reference = networkx_with(dataset)
    reference.load(reassigned_policies())
    calls: list[tuple[str, int, int]] = []
    store.load(dataset)
    small_batch_store.load(reassigned_policies(), progress=lambda *call: calls.append(call))
    total = calls[-1][2]

    # A reload that stops after any batch completes when run again.
    for fail_at in range(1, total):
        store.clear()
        store.load(dataset)

        def fail(_step: str, done: int, _total: int, fail_at: int = fail_at) -> None:
            if done == fail_at:
                raise RuntimeError(f"simulated failure after batch {fail_at}")

        with pytest.raises(RuntimeError, match="simulated failure"):
            small_batch_store.load(reassigned_policies(), progress=fail)
        small_batch_store.load(reassigned_policies())
        assert_sales_match(store, reference)


# Names that no load creates, so the server reports each as unknown.
UNKNOWN_NAMES_QUERY = "MATCH (n:NeverLoaded)-[:NEVER_LOADED]->() WHERE n.never_loaded = 1 RETURN count(n) AS n"
# id() is deprecated in Neo4j 5 in favour of elementId(), so the server sends a DEPRECATION warning.
DEPRECATED_QUERY = "MATCH (n) WHERE id(n) = -1 RETURN count(n) AS n"


def notification_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "neo4j.notifications"]


@pytest.mark.neo4j
def test_neo4j_store_unknown_names_not_logged(store: Neo4jStore, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="neo4j.notifications")
    reads = [
        store.counts, store.customer_identities, store.policy_parties, store.agent_policyholders,
        store.premium_payers, store.verified_complaints, store.agents,
        lambda: store.agent_sales(["A1"]),
        lambda: store.agent_identifier_matches(["phone", "address"]),
        lambda: store.shared_identifiers(["phone", "bank_account"], 20),
        lambda: store.identifier_owners("phone", phone(1)),
        lambda: store.customer_identifiers(["C01"]),
    ]
    for read in reads:
        read()
    # Neo4j keeps a name after its last node is deleted, so the reads above
    # find every name on a server that ever held data. This query's names
    # are unknown on every server.
    store._read(UNKNOWN_NAMES_QUERY)
    messages = [record.getMessage() for record in notification_records(caplog)]
    assert [message for message in messages if "UNRECOGNIZED" in message] == []


@pytest.mark.neo4j
def test_neo4j_store_deprecation_still_logged(store: Neo4jStore, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="neo4j.notifications")
    store._read(DEPRECATED_QUERY)
    records = notification_records(caplog)
    assert [record.levelname for record in records] == ["WARNING"]
    assert "DEPRECATION" in records[0].getMessage()


@pytest.mark.neo4j
@pytest.mark.skipif(
    os.environ.get("KYCGRAPH_NEO4J_CTL") != "1",
    reason="stops and starts the local server with server/neo4jctl; set KYCGRAPH_NEO4J_CTL=1",
)
def test_neo4j_store_survives_server_restart(store: Neo4jStore) -> None:
    dataset = many_customers_dataset(2000)
    store.load(dataset)
    clean = store.counts()
    store.clear()

    # 1. The server stops after the second batch and is back within the
    #    driver's retry time: the same load call finishes.
    restarted = threading.Event()

    def restart_after_second_batch(_step: str, done: int, _total: int) -> None:
        if done == 2 and not restarted.is_set():
            restarted.set()
            _neo4jctl("stop")
            threading.Thread(target=_neo4jctl, args=("start",), daemon=True).start()

    settings = Settings()
    # A stop and start take about 25 s here, so the driver retries for up to 180 s.
    loader = Neo4jStore(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password,
                        batch_size=500, max_transaction_retry_time=180.0)
    try:
        loader.load(dataset, progress=restart_after_second_batch)
    finally:
        loader.close()
    assert restarted.is_set()
    assert store.counts() == clean
    store.clear()

    # 2. The server stays down longer than the retry time: the load fails,
    #    and the same load after a start completes it.
    impatient = Neo4jStore(settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password,
                           batch_size=500, max_transaction_retry_time=2.0)
    try:
        with pytest.raises(StoreUnavailableError, match="server/neo4jctl start"):
            impatient.load(dataset, progress=lambda _s, done, _t: _neo4jctl("stop") if done == 2 else None)
        _neo4jctl("start")
        assert 0 < store.counts().total_nodes < clean.total_nodes
        impatient.load(dataset)
    finally:
        impatient.close()
        _neo4jctl("start")
    assert store.counts() == clean


def _neo4jctl(command: str) -> None:
    env = {**os.environ, "NEO4J_PASSWORD": os.environ.get("NEO4J_PASSWORD", "kycgraph-dev")}
    subprocess.run([str(NEO4JCTL), command], check=True, env=env, capture_output=True, timeout=180)


@pytest.mark.neo4j
def test_neo4j_data_version_changes_across_processes(store: Neo4jStore, monkeypatch: pytest.MonkeyPatch) -> None:
    # A second store stands for another process serving the same graph. It reuses a version it read until
    # DATA_VERSION_SECONDS is set to 0, so no step depends on how long the loads take.
    monkeypatch.setattr(graph.neo4j_store, "DATA_VERSION_SECONDS", 3600.0)
    reader = Neo4jStore.from_settings(Settings())
    try:
        store.clear()
        cleared = store.data_version()
        assert cleared is not None
        assert reader.data_version() == cleared
        store.load(small_dataset())
        loaded = store.data_version()
        assert loaded not in (None, cleared)
        assert reader.data_version() == cleared
        monkeypatch.setattr(graph.neo4j_store, "DATA_VERSION_SECONDS", 0.0)
        assert reader.data_version() == loaded
        store.load(small_dataset())
        assert reader.data_version() not in (None, cleared, loaded)
    finally:
        reader.close()
