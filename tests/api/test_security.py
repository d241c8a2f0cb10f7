"""Who may call what: every role against every route, and the API-key checks."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.permissions import ROLES
from graph.networkx_store import NetworkxStore
from kycgraph.settings import Settings

if TYPE_CHECKING:
    from conftest import Served

# (method, path) -> roles allowed. Every other role must get 403.
CUSTOMER_DATA_READERS = {"case-system", "investigator", "analyst", "admin"}
ROUTES: list[tuple[str, str, set[str]]] = [
    ("GET", "/v1/clusters", CUSTOMER_DATA_READERS),
    ("GET", "/v1/clusters/{cluster_id}", CUSTOMER_DATA_READERS),
    ("GET", "/v1/findings", CUSTOMER_DATA_READERS),
    ("GET", "/v1/agents/rechecks", CUSTOMER_DATA_READERS),
    ("GET", "/v1/agents/4457506554/recheck", CUSTOMER_DATA_READERS),
    ("GET", "/v1/agents/substitutions", CUSTOMER_DATA_READERS),
    ("GET", "/v1/hub-values", CUSTOMER_DATA_READERS),
    ("POST", "/v1/checks/entry", {"case-system", "investigator", "admin"}),
    ("GET", "/v1/audit", {"auditor"}),
]
CASES = [
    pytest.param(method, path, role, role in allowed, id=f"{method} {path} as {role}")
    for method, path, allowed in ROUTES
    for role in ROLES
]


def _call(served: Served, method: str, path: str, headers: dict[str, str], form: dict[str, object]) -> int:
    if "{cluster_id}" in path:
        first = served.client.get("/v1/clusters", headers=served.headers("admin")).json()["items"][0]
        path = path.replace("{cluster_id}", first["cluster_id"])
    if method == "POST":
        return served.client.post(path, headers=headers, json=form).status_code
    return served.client.get(path, headers=headers).status_code


@pytest.mark.parametrize(("method", "path", "role", "allowed"), CASES)
def test_role_matrix(
    served: Served, entry_form: dict[str, object], method: str, path: str, role: str, allowed: bool
) -> None:
    status = _call(served, method, path, served.headers(role), entry_form)
    assert status == (200 if allowed else 403)


@pytest.mark.parametrize(("method", "path"), [(m, p) for m, p, _ in ROUTES])
def test_route_without_key_is_401(served: Served, entry_form: dict[str, object], method: str, path: str) -> None:
    assert _call(served, method, path, {}, entry_form) == 401


def test_open_routes_need_no_key(served: Served) -> None:
    assert served.client.get("/health").status_code == 200
    assert served.client.get("/ready").json() == {"status": "ready", "store": served.store_kind}


def test_x_api_key_header_accepted(served: Served) -> None:
    response = served.client.get("/v1/hub-values", headers={"X-API-Key": served.tokens["analyst"]})
    assert response.status_code == 200


def test_revoked_key_rejected(served: Served) -> None:
    key, token = served.state.create_api_key("investigator", "to revoke")
    headers = {"Authorization": f"Bearer {token}"}
    assert served.client.get("/v1/hub-values", headers=headers).status_code == 200
    assert served.state.revoke_api_key(key.key_id)
    response = served.client.get("/v1/hub-values", headers=headers)
    assert response.status_code == 401
    assert response.json()["detail"] == "API 密钥无效或已吊销"


def test_tampered_token_rejected(served: Served) -> None:
    token = served.tokens["admin"]
    # Change the last character to a different one; tokens are random, so a fixed one would sometimes match.
    tampered = token[:-1] + ("B" if token.endswith("A") else "A")
    response = served.client.get("/v1/hub-values", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401


def test_metrics_need_admin_off_loopback(served: Served) -> None:
    # The test client's address is "testclient", not a loopback address.
    assert served.client.get("/metrics").status_code == 401
    assert served.client.get("/metrics", headers=served.headers("investigator")).status_code == 403
    response = served.client.get("/metrics", headers=served.headers("admin"))
    assert response.status_code == 200
    assert "kycgraph_http_requests_total" in response.text


def test_key_stored_only_as_hash(served: Served) -> None:
    with served.state.connect() as connection:
        stored = [row[0] for row in connection.execute("SELECT token_sha256 FROM api_keys")]
    for token in served.tokens.values():
        assert token not in stored


def test_openapi_lists_key_schemes(served: Served) -> None:
    document = served.client.get("/openapi.json").json()
    assert set(document["components"]["securitySchemes"]) == {"HTTPBearer", "APIKeyHeader"}
    operations = [(path, op) for path, item in document["paths"].items() for op in item.values()]
    keyed = [path for path, op in operations if op.get("security") == [{"HTTPBearer": []}, {"APIKeyHeader": []}]]
    assert sorted(keyed) == sorted(path for path, _ in operations if path.startswith("/v1/") or path == "/metrics")


def test_app_warns_of_own_empty_store(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="api.app"), TestClient(create_app(Settings(state_dir=tmp_path))):
        pass
    assert "the embedded store of this API process is empty" in caplog.text
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="api.app"), \
            TestClient(create_app(Settings(state_dir=tmp_path), NetworkxStore())):
        pass
    assert "is empty" not in caplog.text
