"""`kycgraph run --store neo4j` gives exactly the embedded store's results on the sample."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from graph.store import GraphStore
from kycgraph.cli import app

SAMPLE = Path(__file__).resolve().parent.parent / "sample"
runner = CliRunner()


def run_json(tmp_path: Path, store: str, name: str) -> dict[str, Any]:
    out = tmp_path / store
    result = runner.invoke(app, ["run", str(SAMPLE), "--out", str(out), "--store", store, "--lang", "en",
                                 "--as-of", "2026-12-04"])
    assert result.exit_code == 0, result.output
    document: dict[str, Any] = json.loads((out / name).read_text(encoding="utf-8"))
    return document


@pytest.mark.neo4j
def test_run_neo4j_clusters_equal_embedded(neo4j_store: GraphStore, tmp_path: Path) -> None:
    embedded = run_json(tmp_path, "networkx", "clusters.json")
    on_neo4j = run_json(tmp_path, "neo4j", "clusters.json")
    assert embedded["cluster_count"] == 5
    assert on_neo4j["clusters"] == embedded["clusters"]
    assert on_neo4j["hub_values"] == embedded["hub_values"]


@pytest.mark.neo4j
def test_run_neo4j_findings_equal_embedded(neo4j_store: GraphStore, tmp_path: Path) -> None:
    embedded = run_json(tmp_path, "networkx", "findings.json")
    on_neo4j = run_json(tmp_path, "neo4j", "findings.json")
    assert embedded["finding_count"] == 17
    assert on_neo4j["findings"] == embedded["findings"]
    assert on_neo4j["counts_by_rule"] == embedded["counts_by_rule"]
