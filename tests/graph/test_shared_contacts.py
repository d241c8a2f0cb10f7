"""Shared-contact clusters: one behaviour suite, run on every store through the ``store`` fixture."""

from __future__ import annotations

from pathlib import Path

from graph.rules.shared_contacts import ClusterResult, shared_contact_clusters
from graph.store import GraphStore
from kycgraph.settings import DEFAULT_PHONE_DENYLIST
from loaders.load import load_export

HEADER = "客户号,客户姓名,联系电话,银行账号,联系地址\n"


def run_rule(store: GraphStore, tmp_path: Path, rows: list[str], **kwargs: object) -> ClusterResult:
    (tmp_path / "customers.csv").write_text(HEADER + "\n".join(rows) + "\n", encoding="utf-8")
    dataset, _, _ = load_export(tmp_path, phone_denylist=DEFAULT_PHONE_DENYLIST)
    store.load(dataset)
    return shared_contact_clusters(store, **kwargs)  # type: ignore[arg-type]


def members(result: ClusterResult) -> list[list[str]]:
    return [[m.customer_id for m in c.members] for c in result.clusters]


def test_clusters_full_width_phone_joins(store: GraphStore, tmp_path: Path) -> None:
    result = run_rule(store, tmp_path, ["C1,甲,１３９１２３４５６７８,,", "C2,乙,13912345678,,", "C3,丙,13912345600,,"])
    assert members(result) == [["C1", "C2"]]


def test_clusters_phone_forms_one_key(store: GraphStore, tmp_path: Path) -> None:
    rows = ["C1,甲,+86 139 1234 5678,,", "C2,乙,0086 13912345678,,", "C3,丙,13912345678,,"]
    result = run_rule(store, tmp_path, rows)
    assert members(result) == [["C1", "C2", "C3"]]
    assert [e.kind for e in result.clusters[0].evidence] == ["phone"]


def test_clusters_placeholders_are_hubs(store: GraphStore, tmp_path: Path) -> None:
    rows = [f"A{i},甲{i},13800138000,," for i in range(5)]
    rows += [f"B{i},乙{i},00000000000,," for i in range(3)]
    rows += ["C1,丙,13912345678,,", "C2,丁,13912345678,,"]
    result = run_rule(store, tmp_path, rows)
    assert members(result) == [["C1", "C2"]]
    assert [(h.customer_count, h.reason) for h in result.hub_values] == [(5, "placeholder"), (3, "placeholder")]


def test_clusters_hub_threshold_is_strict(store: GraphStore, tmp_path: Path) -> None:
    rows = [f"A{i},甲{i},1391234560{i},," for i in range(4)]
    rows += [f"S{i},乙{i},13912345699,," for i in range(4)]  # exactly at the threshold: still links
    rows += [f"T{i},丙{i},13912345688,," for i in range(5)]  # one over: a hub
    result = run_rule(store, tmp_path, rows, hub_threshold=4)
    assert members(result) == [["S0", "S1", "S2", "S3"]]
    assert [(h.customer_count, h.reason) for h in result.hub_values] == [(5, "over_threshold")]


def test_clusters_transitive_phone_then_account(store: GraphStore, tmp_path: Path) -> None:
    rows = [
        "C1,甲,13912345678,,",
        "C2,乙,13912345678,6222021234567890123,",
        "C3,丙,13700000001,6222021234567890123,",
        "C4,丁,13700000002,6222021234567890999,",
    ]
    result = run_rule(store, tmp_path, rows)
    assert members(result) == [["C1", "C2", "C3"]]
    assert result.clusters[0].link_kinds == ("bank_account", "phone")


def test_clusters_landline_without_area_code_links_nothing(store: GraphStore, tmp_path: Path) -> None:
    result = run_rule(store, tmp_path, ["C1,甲,81234567,,", "C2,乙,81234567,,"])
    assert result.clusters == []
    assert result.hub_values == []


def test_clusters_address_only_when_link_kind(store: GraphStore, tmp_path: Path) -> None:
    rows = ["C1,父,13912345601,,广东省广州市天河区体育西路1号", "C2,母,13912345602,,广东省广州市天河区 体育西路1号"]
    assert run_rule(store, tmp_path, rows).clusters == []
    result = shared_contact_clusters(store, link_kinds=("phone", "bank_account", "address"))
    assert members(result) == [["C1", "C2"]]


def test_clusters_ids_stable_across_runs(store: GraphStore, tmp_path: Path) -> None:
    rows = ["C1,甲,13912345678,,", "C2,乙,13912345678,,", "C3,丙,,6222021234567890123,", "C4,丁,,6222021234567890123,"]
    first = run_rule(store, tmp_path, rows)
    store.load(load_export(tmp_path)[0])
    second = shared_contact_clusters(store)
    assert [c.cluster_id for c in first.clusters] == [c.cluster_id for c in second.clusters]
    assert len(first.clusters) == 2
    assert all(c.cluster_id.startswith("SC-") for c in first.clusters)


def test_clusters_evidence_is_masked(store: GraphStore, tmp_path: Path) -> None:
    result = run_rule(store, tmp_path, ["C1,甲,13912345678,,", "C2,乙,13912345678,,"])
    evidence = result.clusters[0].evidence[0]
    assert "13912345678" not in evidence.key_masked
    assert evidence.customer_ids == ("C1", "C2")
