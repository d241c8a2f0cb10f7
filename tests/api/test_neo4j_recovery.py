"""503 while Neo4j is down and recovery when it is back, against a Neo4j instance that this test starts and stops.

Runs only with ``KYCGRAPH_NEO4J_CTL=1``. It starts its own server with
``server/neo4jctl`` (data in a temporary folder, Bolt on
``KYCGRAPH_TEST_NEO4J_BOLT_ADDRESS``, default 127.0.0.1:7697), so it never
stops the Neo4j that other tests share.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.publish import detect_and_publish
from api.state import StateDB
from graph.neo4j_store import Neo4jStore
from graph.rules.shared_contacts import shared_contact_clusters
from kycgraph.settings import Settings
from loaders.load import load_export

REPO = Path(__file__).resolve().parents[2]
NEO4JCTL = REPO / "server" / "neo4jctl"
BOLT_ADDRESS = os.environ.get("KYCGRAPH_TEST_NEO4J_BOLT_ADDRESS", "127.0.0.1:7697")

pytestmark = [
    pytest.mark.neo4j_ctl,
    pytest.mark.skipif(os.environ.get("KYCGRAPH_NEO4J_CTL") != "1", reason="set KYCGRAPH_NEO4J_CTL=1 to run"),
]


def _neo4jctl(home: Path, command: str) -> None:
    environment = {
        **os.environ, "KYCGRAPH_NEO4J_HOME": str(home), "KYCGRAPH_NEO4J_BOLT_ADDRESS": BOLT_ADDRESS,
        "KYCGRAPH_NEO4J_HTTP_ADDRESS": "off", "KYCGRAPH_NEO4J_HEAP": "512m", "KYCGRAPH_NEO4J_PAGECACHE": "128m",
        "NEO4J_PASSWORD": "kycgraph-dev",
    }
    subprocess.run([str(NEO4JCTL), command], env=environment, check=True, timeout=300)


@pytest.fixture
def neo4j_home(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "neo4j"
    _neo4jctl(home, "start")
    try:
        yield home
    finally:
        _neo4jctl(home, "stop")


def test_neo4j_down_then_recovers(neo4j_home: Path, tmp_path: Path) -> None:
    settings = Settings(
        store="neo4j", neo4j_uri=f"bolt://{BOLT_ADDRESS}", neo4j_password="kycgraph-dev",
        state_dir=tmp_path / "state", api_neo4j_retry_seconds=1.0,
    )
    dataset, _, _ = load_export(REPO / "sample")
    loader = Neo4jStore.from_settings(settings)
    loader.load(dataset)
    loader.close()
    app = create_app(settings)
    state: StateDB = app.state.context.state
    _, token = state.create_api_key("investigator", "recovery test")
    headers = {"Authorization": f"Bearer {token}", "Accept-Language": "en"}
    with TestClient(app) as client:
        # Clusters come from the live store; findings are not needed here.
        state.publish_results(shared_contact_clusters(app.state.context.store).clusters, [])
        cluster_id = client.get("/v1/clusters", headers=headers).json()["items"][0]["cluster_id"]
        assert client.get("/ready").status_code == 200
        assert client.get(f"/v1/clusters/{cluster_id}", headers=headers).status_code == 200

        # 1. Neo4j stops: routes that read the store answer 503 with problem details.
        _neo4jctl(neo4j_home, "stop")
        ready = client.get("/ready", headers=headers)
        assert ready.status_code == 503
        assert ready.json()["detail"] == "Not ready: the graph database is unavailable"
        detail = client.get(f"/v1/clusters/{cluster_id}", headers=headers)
        assert detail.status_code == 503
        assert detail.json()["detail"] == "The graph database is unavailable; retry later"
        assert detail.headers["retry-after"] == "5"
        check = client.post("/v1/checks/entry", headers=headers, json={"policyholder": {"phone": "15979139670"}})
        assert check.status_code == 503
        # The registry does not need Neo4j, so listings keep working.
        assert client.get("/v1/clusters", headers=headers).status_code == 200

        # 2. Neo4j is back: the same app recovers without a restart.
        _neo4jctl(neo4j_home, "start")
        deadline = time.monotonic() + 60
        while client.get("/ready").status_code != 200:
            assert time.monotonic() < deadline, "the API did not become ready within 60 s of Neo4j starting"
            time.sleep(1)
        assert client.get(f"/v1/clusters/{cluster_id}", headers=headers).status_code == 200


def test_detect_and_publish_on_neo4j(neo4j_home: Path, tmp_path: Path) -> None:
    """Publishing from a Neo4j store works once the rule queries exist there."""
    settings = Settings(store="neo4j", neo4j_uri=f"bolt://{BOLT_ADDRESS}", neo4j_password="kycgraph-dev",
                        state_dir=tmp_path / "state")
    store = Neo4jStore.from_settings(settings)
    try:
        store.load(load_export(REPO / "sample")[0])
        try:
            summary = detect_and_publish(store, settings, StateDB(settings.state_dir))
        except NotImplementedError as exc:
            pytest.xfail(f"Neo4jStore does not implement the rule queries yet: {exc}")
        assert summary.clusters == 5
    finally:
        store.close()
