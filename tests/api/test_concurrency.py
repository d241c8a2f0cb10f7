"""Two clients each read 50,000 findings at the same time from a real server on 127.0.0.1.

The findings come from the results registry, not from the graph store, so
this test runs on the networkx store only.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
import uvicorn

from api.app import create_app
from api.state import StateDB
from graph.networkx_store import NetworkxStore
from graph.rules.findings import make_finding
from kycgraph.settings import Settings

ROWS = 50_000
PAGE = 1000


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A uvicorn server on a free loopback port over a registry of 50,000 findings; yields (base URL, token)."""
    settings = Settings(state_dir=tmp_path)
    state = StateDB(tmp_path)
    findings = [
        make_finding("third_party_payer", (f"P{n:07d}",), "high", f"保单 P{n:07d}", f"policy P{n:07d}",
                     {"n": n}, policy_no=f"P{n:07d}", customer_id=f"C{n:07d}")
        for n in range(ROWS)
    ]
    state.publish_results([], findings)
    _, token = state.create_api_key("case-system", "load test")
    port = _free_port()
    config = uvicorn.Config(create_app(settings, NetworkxStore()), host="127.0.0.1", port=port, log_level="warning")
    uvicorn_server = uvicorn.Server(config)
    thread = threading.Thread(target=uvicorn_server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uvicorn_server.started:
        assert time.monotonic() < deadline, "the test server did not start within 30 s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", token
    finally:
        uvicorn_server.should_exit = True
        thread.join(timeout=30)


def _read_all(base_url: str, token: str) -> list[str]:
    ids: list[str] = []
    cursor = None
    with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as client:
        # At most ROWS / PAGE + 1 pages, so the loop ends even if paging were broken.
        for _ in range(ROWS // PAGE + 1):
            params: dict[str, str | int] = {"limit": PAGE}
            if cursor:
                params["cursor"] = cursor
            response = client.get("/v1/findings", params=params)
            response.raise_for_status()
            page = response.json()
            ids += [item["finding_id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
    return ids


def test_two_clients_read_50000_rows(server: tuple[str, str]) -> None:
    base_url, token = server
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(lambda _: _read_all(base_url, token), range(2)))
    for ids in results:
        assert len(ids) == ROWS
        assert len(set(ids)) == ROWS
    assert results[0] == results[1]


def test_metrics_open_on_loopback(server: tuple[str, str]) -> None:
    base_url, _ = server
    response = httpx.get(f"{base_url}/metrics", timeout=10)
    assert response.status_code == 200
    assert "kycgraph_http_request_duration_seconds" in response.text
