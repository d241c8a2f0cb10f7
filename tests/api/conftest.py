"""Fixtures for API tests: the sample export loaded into each store, published, and served by a test client.

``served`` runs once per store and test module: the networkx store, and
Neo4j at ``NEO4J_URI`` (skipped without a server unless
``KYCGRAPH_REQUIRE_NEO4J=1`` or ``CI`` is set, then it fails).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.permissions import ROLES
from api.publish import detect_and_publish
from api.state import PublishSummary, StateDB
from graph.model import Dataset
from graph.networkx_store import NetworkxStore
from graph.store import GraphStore
from kycgraph.settings import Settings
from loaders.load import load_export

SAMPLE = Path(__file__).resolve().parents[2] / "sample"
# A policyholder on the mobile of agent 4476907038 (the sample's agent_own_phone case), with a valid resident ID.
AGENT_PHONE = "15979139670"
AGENT_ID = "4476907038"
ENTRY_FORM: dict[str, object] = {
    "application_date": "2026-12-01",
    "policyholder": {
        "name": "陈明",
        "gender": "男",
        "birth_date": "1980-01-18",
        "id_type": "居民身份证",
        "id_number": "110101198001180036",
        "phone": AGENT_PHONE,
        "address": "广东省广州市天河区体育西路1号",
        "bank_account": "6222021234567890128",
    },
}
# The sample export's date, so that cooling-off periods and exceptions give the planted findings.
AS_OF = date(2026, 12, 4)


def _neo4j_required() -> bool:
    return os.environ.get("KYCGRAPH_REQUIRE_NEO4J") == "1" or os.environ.get("CI", "").lower() == "true"


def open_test_store(kind: str) -> GraphStore:
    """Return an empty store of the given kind; Neo4j is cleared first, and skipped or failed when unreachable."""
    if kind == "networkx":
        return NetworkxStore()
    from graph.neo4j_store import Neo4jStore

    try:
        store = Neo4jStore.from_settings(Settings())
        store.verify()
    except Exception as exc:
        if _neo4j_required():
            pytest.fail(f"Neo4j is required here but unreachable at {os.environ.get('NEO4J_URI')}: {exc}")
        pytest.skip(f"no Neo4j server reachable ({exc}); set NEO4J_URI or run `make test`")
    store.clear()
    return store


def publish(store: GraphStore, settings: Settings, state: StateDB) -> PublishSummary:
    """Detect on ``store`` as of the sample export's date and publish, as ``kycgraph detect`` does."""
    return detect_and_publish(store, settings, state, as_of=AS_OF)


@pytest.fixture(scope="session")
def sample_dataset() -> Dataset:
    dataset, _, _ = load_export(SAMPLE)
    return dataset


@dataclass
class Served:
    """A test client over the sample export on one store, with one API token per role."""

    store_kind: str
    store: GraphStore
    client: TestClient
    state: StateDB
    settings: Settings
    tokens: dict[str, str]

    def headers(self, role: str, lang: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"}
        if lang is not None:
            headers["Accept-Language"] = lang
        return headers


def serve(store: GraphStore, settings: Settings) -> Served:
    """Build the app over ``store`` and create a key for each role."""
    app = create_app(settings, store)
    state: StateDB = app.state.context.state
    tokens = {role: state.create_api_key(role, f"test {role}")[1] for role in ROLES}
    return Served(store.name, store, TestClient(app), state, settings, tokens)


@pytest.fixture(scope="module", params=["networkx", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def served(
    request: pytest.FixtureRequest, sample_dataset: Dataset, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """The sample export loaded into each store, detected, published and served."""
    store = open_test_store(request.param)
    settings = Settings(state_dir=tmp_path_factory.mktemp("state"))
    try:
        store.load(sample_dataset)
        result = serve(store, settings)
        publish(store, settings, result.state)
        yield result
    finally:
        if request.param == "neo4j":
            store.clear()
        store.close()


ServeFactory = Callable[[str], Served]


@pytest.fixture
def served_empty(tmp_path: Path) -> Iterator[ServeFactory]:
    """Return a function that serves an empty store of the given kind with a fresh state database."""
    stores: list[GraphStore] = []

    def make(kind: str) -> Served:
        store = open_test_store(kind)
        stores.append(store)
        return serve(store, Settings(state_dir=tmp_path / f"state-{kind}"))

    yield make
    for store in stores:
        if store.name == "neo4j":
            store.clear()
        store.close()


@pytest.fixture
def entry_form() -> dict[str, object]:
    """A proposal form whose policyholder gives the phone of agent 4476907038; a fresh copy per test."""
    return copy.deepcopy(ENTRY_FORM)


Publish = Callable[[GraphStore, Settings, StateDB], PublishSummary]


@pytest.fixture
def publish_run() -> Publish:
    """The function that detects on a store and publishes, as ``kycgraph detect`` does."""
    return publish
