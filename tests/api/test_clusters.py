"""Cluster listing, paging, filters, and the masked and unmasked views of one cluster."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import pytest

from graph.model import IDENTIFIER_COLUMNS, Dataset
from graph.rules.shared_contacts import shared_contact_clusters

if TYPE_CHECKING:
    from conftest import Served, ServeFactory

# The sample's phone_ring_formats case: four customers on one mobile written four ways.
RING_PHONE = "+8613982206610"
RING_MEMBERS = ["0016054216", "0042030242", "0061338763", "0088723364"]


def _ring_cluster(served: Served) -> dict[str, Any]:
    clusters = served.client.get("/v1/clusters", headers=served.headers("admin")).json()["items"]
    ring = [c for c in clusters if [m["customer_id"] for m in c["members"]] == RING_MEMBERS]
    assert len(ring) == 1, clusters
    return ring[0]


def test_cluster_full_view_for_case_system(served: Served) -> None:
    cluster_id = _ring_cluster(served)["cluster_id"]
    body = served.client.get(f"/v1/clusters/{cluster_id}", headers=served.headers("case-system")).json()
    assert body["evidence"][0]["key"] == RING_PHONE
    assert sorted(body["evidence"][0]["values"]) == sorted(
        ["+86 139 8220 6610", "139 8220 6610", "１３９８２２０６６１０", "008613982206610"]
    )
    names = [m["name"] for m in body["members"]]
    assert all("*" not in name for name in names)
    phones = [i["value"] for m in body["members"] for i in m["identifiers"] if i["shared"]]
    assert phones == [RING_PHONE] * 4


def test_cluster_masked_view_for_investigator(served: Served) -> None:
    cluster_id = _ring_cluster(served)["cluster_id"]
    full = served.client.get(f"/v1/clusters/{cluster_id}", headers=served.headers("case-system")).json()
    masked = served.client.get(f"/v1/clusters/{cluster_id}", headers=served.headers("investigator")).json()
    assert masked["evidence"][0]["key"] == "139****6610"
    assert masked["evidence"][0]["values"] == ["139****6610"] * 4
    for full_member, masked_member in zip(full["members"], masked["members"], strict=True):
        assert masked_member["customer_id"] == full_member["customer_id"]
        assert masked_member["name"] == full_member["name"][0] + "*" * (len(full_member["name"]) - 1)
        for identifier in masked_member["identifiers"]:
            assert RING_PHONE not in identifier["value"]
    text = str(masked)
    assert RING_PHONE not in text
    assert "13982206610" not in text


def test_cluster_graph_links_members(served: Served) -> None:
    cluster_id = _ring_cluster(served)["cluster_id"]
    graph = served.client.get(f"/v1/clusters/{cluster_id}", headers=served.headers("analyst")).json()["graph"]
    node_ids = {node["id"] for node in graph["nodes"]}
    for customer_id in RING_MEMBERS:
        assert f"Customer:{customer_id}" in node_ids
    phone_edges = [edge for edge in graph["edges"] if edge["type"] == "HAS_PHONE"]
    assert len(phone_edges) == 4
    assert len({edge["target"] for edge in phone_edges}) == 1
    assert any(edge["type"] == "SOLD" for edge in graph["edges"])
    assert all(edge["source"] in node_ids and edge["target"] in node_ids for edge in graph["edges"])


def test_cluster_list_names_masked_by_role(served: Served) -> None:
    masked = _names(served, "analyst")
    full = _names(served, "admin")
    assert len(masked) == len(full) > 0
    assert all("*" in name for name in masked if len(name) > 1)
    assert all("*" not in name for name in full)


def _names(served: Served, role: str) -> list[str]:
    items = served.client.get("/v1/clusters", headers=served.headers(role)).json()["items"]
    return [m["name"] for c in items for m in c["members"] if m["name"]]


def test_cluster_keyset_pages_cover_all(served: Served) -> None:
    everything = served.client.get("/v1/clusters", headers=served.headers("admin")).json()["items"]
    seen: list[str] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 2}
        if cursor:
            params["cursor"] = cursor
        page = served.client.get("/v1/clusters", headers=served.headers("admin"), params=params).json()
        seen += [c["cluster_id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == [c["cluster_id"] for c in everything]
    sizes = [c["size"] for c in everything]
    assert sizes == sorted(sizes, reverse=True)


def test_cluster_filters(served: Served) -> None:
    headers = served.headers("investigator")
    by_account = served.client.get("/v1/clusters", headers=headers, params={"link_kind": "bank_account"}).json()
    assert by_account["items"]
    assert all("bank_account" in c["link_kinds"] for c in by_account["items"])
    large = served.client.get("/v1/clusters", headers=headers, params={"min_size": 4}).json()["items"]
    assert [c["size"] for c in large] == [4]
    small = served.client.get("/v1/clusters", headers=headers, params={"max_size": 2}).json()["items"]
    assert small and all(c["size"] == 2 for c in small)
    agency = served.client.get("/v1/clusters", headers=headers, params={"channel": "agency"}).json()["items"]
    assert all("agency" in c["channels"] for c in agency)
    future = served.client.get("/v1/clusters", headers=headers, params={"first_seen_from": "2999-01-01"}).json()
    assert future["items"] == []


def test_cluster_page_size_capped(served: Served) -> None:
    response = served.client.get("/v1/clusters", headers=served.headers("admin"), params={"limit": 5000})
    assert response.status_code == 200
    assert len(response.json()["items"]) <= 1000


def test_hub_values_listed_masked(served: Served) -> None:
    items = served.client.get("/v1/hub-values", headers=served.headers("admin")).json()["items"]
    assert [(h["key"], h["customer_count"], h["reason"]) for h in items] == [
        ("000****0000", 24, "placeholder"), ("138****8000", 4, "placeholder"),
    ]


def test_rechecks_and_substitutions(served: Served) -> None:
    headers = served.headers("investigator")
    rechecks = served.client.get("/v1/agents/rechecks", headers=headers).json()["items"]
    assert [r["agent_id"] for r in rechecks] == ["4457506554"]
    assert rechecks[0]["complaint_count"] == 2
    detail = served.client.get("/v1/agents/4457506554/recheck", headers=headers).json()
    assert detail["rule"] == "repeat_offender_recheck"
    assert detail["evidence"]["policy_count"] == rechecks[0]["policy_count"]
    substitutions = served.client.get("/v1/agents/substitutions", headers=headers).json()["items"]
    by_agent = {s["agent_id"]: s for s in substitutions}
    assert by_agent["4476907038"]["owners"] == ["agent"]
    assert by_agent["4476907038"]["customer_ids"] == ["0056108361"]
    assert by_agent["4468317905"]["owners"] == ["relative"]


@pytest.mark.parametrize("kind", ["networkx", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def test_cluster_detail_follows_a_reload(kind: str, served_empty: ServeFactory, sample_dataset: Dataset) -> None:
    # The embedded store's detail bodies are cached, and a load must not leave an old body in use.
    served = served_empty(kind)
    served.store.load(sample_dataset)
    result = shared_contact_clusters(served.store, link_kinds=served.settings.link_kinds)
    served.state.publish_results(result.clusters, [], result.hub_values)
    cluster_id = _ring_cluster(served)["cluster_id"]

    def member_emails() -> list[str]:
        body = served.client.get(f"/v1/clusters/{cluster_id}", headers=served.headers("case-system")).json()
        [member] = [m for m in body["members"] if m["customer_id"] == RING_MEMBERS[0]]
        return [i["value"] for i in member["identifiers"] if i["kind"] == "email"]

    before = member_emails()
    assert "ring.member@example.com" not in before
    email = {"owner_type": "customer", "owner_id": RING_MEMBERS[0], "kind": "email", "key": "ring.member@example.com",
             "value": "Ring.Member@example.com", "linkable": True, "flags": "", "source_file": "update.csv",
             "source_row": 2, "column": "email"}
    served.store.load(Dataset(identifiers=pd.DataFrame([email], columns=IDENTIFIER_COLUMNS, dtype=object)))
    assert member_emails() == sorted([*before, "ring.member@example.com"])


def test_cluster_list_invalid_filters_located(served: Served) -> None:
    response = served.client.get("/v1/clusters", params={"min_size": "many", "first_seen_to": "0"},
                                 headers=served.headers("admin"))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    errors = {tuple(error["loc"]): error["type"] for error in response.json()["errors"]}
    assert errors == {("query", "min_size"): "int_parsing", ("query", "first_seen_to"): "date_parsing"}
