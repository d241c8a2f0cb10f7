"""Incremental pull: each change is delivered once and none is missed, across a new load and publish."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import TYPE_CHECKING, Any

import pytest

from api.state import StateDB, since_sequence
from graph.model import Dataset
from graph.rules import run_rules
from graph.rules.shared_contacts import shared_contact_clusters

if TYPE_CHECKING:
    from conftest import Publish, ServeFactory


def _pull(client: Any, headers: dict[str, str], route: str, since: str, limit: int) -> tuple[list[dict[str, Any]], str]:
    """Pull every page after ``since`` and return the items and the last next_since."""
    items: list[dict[str, Any]] = []
    while True:
        page = client.get(route, headers=headers, params={"since": since, "limit": limit}).json()
        items += page["items"]
        since = page["next_since"]
        if not page["has_more"]:
            return items, since


def _without_agent_contacts_and_complaints(dataset: Dataset) -> Dataset:
    identifiers = dataset.identifiers
    return dataclasses.replace(
        dataset,
        complaints=dataset.complaints.iloc[0:0],
        agent_contacts=dataset.agent_contacts.iloc[0:0],
        identifiers=identifiers[identifiers["owner_type"] != "agent_contact"],
    )


@pytest.mark.parametrize("store_kind", ["networkx", pytest.param("neo4j", marks=pytest.mark.neo4j)])
@pytest.mark.parametrize("route", ["/v1/findings", "/v1/clusters"])
def test_pull_delivers_each_change_once(
    served_empty: ServeFactory, publish_run: Publish, sample_dataset: Dataset, store_kind: str, route: str
) -> None:
    served = served_empty(store_kind)
    headers = served.headers("case-system")
    id_field = "finding_id" if route == "/v1/findings" else "cluster_id"

    # 1. A first load without agent contacts and complaints, published and pulled in small pages.
    partial = _without_agent_contacts_and_complaints(sample_dataset)
    served.store.load(partial)
    publish_run(served.store, served.settings, served.state)
    first, since = _pull(served.client, headers, route, "0", limit=3)
    first_ids = [item[id_field] for item in first]
    assert len(first_ids) == len(set(first_ids))

    # 2. The full export adds the relative's phone and the repeat offender's findings.
    served.store.load(sample_dataset)
    summary = publish_run(served.store, served.settings, served.state)
    second, _ = _pull(served.client, headers, route, since, limit=3)
    second_ids = [item[id_field] for item in second]
    assert len(second_ids) == len(set(second_ids))

    # 3. The second pull holds exactly the items the second publish changed, and together the
    #    pulls end in the registry's current state.
    current = _registry(served.state, route)
    changed = {item_id for item_id, row in current.items() if row["sequence"] > _sequence_of(since)}
    assert set(second_ids) == changed
    assert summary.new + summary.changed + summary.resolved >= len(second_ids)
    if route == "/v1/findings":
        assert set(second_ids) - set(first_ids), "the new findings must arrive in the second pull"
    last_seen = {item[id_field]: item for item in first + second}
    assert set(last_seen) == set(current)
    for item_id, item in last_seen.items():
        assert item["status"] == current[item_id]["status"]
        assert item["last_changed"] == current[item_id]["last_changed"]

    # 4. A pull with the latest token returns nothing until the next publish.
    _, latest = _pull(served.client, headers, route, since, limit=3)
    empty, _ = _pull(served.client, headers, route, latest, limit=3)
    assert empty == []


def _sequence_of(since: str) -> int:
    return since_sequence(since)


def _registry(state: StateDB, route: str) -> dict[str, dict[str, Any]]:
    table, id_column = ("findings", "finding_id") if route == "/v1/findings" else ("clusters", "cluster_id")
    with state.connect() as connection:
        rows = connection.execute(f"SELECT {id_column}, status, last_changed, sequence FROM {table}").fetchall()
    return {row[0]: {"status": row[1], "last_changed": row[2], "sequence": row[3]} for row in rows}


def test_pull_sees_resolved_item(served_empty: ServeFactory, publish_run: Publish, sample_dataset: Dataset) -> None:
    served = served_empty("networkx")
    headers = served.headers("case-system")
    served.store.load(sample_dataset)
    publish_run(served.store, served.settings, served.state)
    _, since = _pull(served.client, headers, "/v1/findings", "0", limit=100)

    # A run without the re-check finding resolves it, and the next pull delivers only that change.
    as_of = date(2026, 12, 4)
    findings = [f for f in run_rules(served.store, served.settings, as_of) if f.rule != "repeat_offender_recheck"]
    recheck_ids = [i.item_id for i in served.state.active_findings(["repeat_offender_recheck"])]
    served.state.publish_results(shared_contact_clusters(served.store).clusters, findings)
    changes, _ = _pull(served.client, headers, "/v1/findings", since, limit=100)
    assert [(c["finding_id"], c["status"]) for c in changes] == [(recheck_ids[0], "resolved")]
