"""Shared fixtures: the store matrix that runs every behaviour test on both stores.

Tests that take the ``store`` fixture run once on the networkx store and once
on Neo4j. The Neo4j run needs a server at ``NEO4J_URI`` (``make test`` starts
one). Without a server the Neo4j cases are skipped, except when
``KYCGRAPH_REQUIRE_NEO4J=1`` or ``CI`` is set: then they fail, so CI never
skips them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from graph.networkx_store import NetworkxStore
from graph.store import GraphStore

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample"


@pytest.fixture(autouse=True)
def _state_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point KYCGRAPH_STATE_DIR at a temporary folder, so that commands which publish results never write
    the API's state database into the working tree."""
    monkeypatch.setenv("KYCGRAPH_STATE_DIR", str(tmp_path_factory.mktemp("state")))


def neo4j_required() -> bool:
    return os.environ.get("KYCGRAPH_REQUIRE_NEO4J") == "1" or os.environ.get("CI", "").lower() == "true"


def _open_neo4j() -> GraphStore:
    from graph.neo4j_store import Neo4jStore
    from kycgraph.errors import StoreUnavailableError
    from kycgraph.settings import Settings

    store = Neo4jStore.from_settings(Settings())
    try:
        store.verify()
    except StoreUnavailableError as exc:
        store.close()
        if neo4j_required():
            pytest.fail(f"Neo4j is required here but unreachable at {os.environ.get('NEO4J_URI')}: {exc}")
        pytest.skip(f"no Neo4j server reachable ({exc}); set NEO4J_URI or run `make test`")
    return store


@pytest.fixture(params=["networkx", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def store(request: pytest.FixtureRequest) -> Iterator[GraphStore]:
    """An empty store of each kind; the Neo4j one is cleared before and after the test."""
    if request.param == "networkx":
        yield NetworkxStore()
        return
    neo4j_store = _open_neo4j()
    neo4j_store.clear()
    try:
        yield neo4j_store
    finally:
        neo4j_store.clear()
        neo4j_store.close()


@pytest.fixture
def neo4j_store() -> Iterator[GraphStore]:
    """An empty Neo4j store, for tests of Neo4j-only behaviour (constraints, batching, resume)."""
    store = _open_neo4j()
    store.clear()
    try:
        yield store
    finally:
        store.clear()
        store.close()
