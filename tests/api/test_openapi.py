"""The error contract of the OpenAPI document: what each operation documents, and what it really returns.

Every 4xx and 5xx response in the document must be problem details
(``application/problem+json`` and the ``ProblemOut`` schema), and every
``/v1`` operation must document 401 and 403. Each documented error status
must be one that a request below really gets, with a documented problem code
and the documented headers.

The document is read at import, as in ``test_schemathesis.py``, so that the
operations can parametrize the tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.errors import PROBLEM_MEDIA_TYPE, PROBLEMS
from api.schemas import ProblemOut
from graph.model import Dataset
from graph.networkx_store import NetworkxStore
from graph.store import CustomerIdentifier, IdentifierOwner
from kycgraph.errors import StoreError, StoreUnavailableError
from kycgraph.settings import Settings

if TYPE_CHECKING:
    from conftest import Publish, Served

DOCUMENT: dict[str, Any] = create_app(Settings(), NetworkxStore()).openapi()
PROBLEM_SCHEMA = {"$ref": "#/components/schemas/ProblemOut"}
OPERATIONS = [
    (method.upper(), path) for path, path_item in DOCUMENT["paths"].items() for method in path_item
]
V1_OPERATIONS = [(method, path) for method, path in OPERATIONS if path.startswith("/v1/")]

# A path to request for each path template: a cluster id and an agent id that have no cluster or re-check list.
CONCRETE_PATHS = {
    "/v1/clusters/{cluster_id}": "/v1/clusters/SC-0000000000000000",
    "/v1/agents/{agent_id}/recheck": "/v1/agents/4476907038/recheck",
}
# A role without the permission of each authenticated operation. The auditor lacks every customer-data permission.
DENIED_ROLES = {"/v1/audit": "admin", "/v1/checks/entry": "analyst", "/metrics": "investigator"}
AUTHENTICATED = [(method, path) for method, path in OPERATIONS if path.startswith("/v1/") or path == "/metrics"]
ENTRY_FORM = {"policyholder": {"name": "陈明", "phone": "15979139670"}}

# Requests that get each error other than 401, 403 and the store's, with the role that sends them:
# (method, path template, status, role, request arguments).
ERROR_REQUESTS: list[tuple[str, str, int, str, dict[str, Any]]] = [
    ("GET", "/v1/clusters", 400, "admin", {"params": {"cursor": "not-a-cursor"}}),
    ("GET", "/v1/clusters", 422, "admin", {"params": {"limit": "0"}}),
    ("GET", "/v1/clusters/{cluster_id}", 404, "admin", {}),
    ("GET", "/v1/clusters/{cluster_id}", 422, "admin", {"path": "/v1/clusters/" + "S" * 65}),
    ("GET", "/v1/findings", 400, "admin", {"params": {"cursor": "x", "since": "0"}}),
    ("GET", "/v1/findings", 422, "admin", {"params": {"limit": "0"}}),
    ("GET", "/v1/agents/rechecks", 400, "admin", {"params": {"cursor": "not-a-cursor"}}),
    ("GET", "/v1/agents/rechecks", 422, "admin", {"params": {"limit": "0"}}),
    ("GET", "/v1/agents/substitutions", 400, "admin", {"params": {"cursor": "not-a-cursor"}}),
    ("GET", "/v1/agents/substitutions", 422, "admin", {"params": {"limit": "0"}}),
    ("GET", "/v1/agents/{agent_id}/recheck", 404, "admin", {}),
    ("GET", "/v1/agents/{agent_id}/recheck", 422, "admin", {"path": "/v1/agents/" + "9" * 65 + "/recheck"}),
    ("POST", "/v1/checks/entry", 413, "admin", {"content": b"{" + b" " * 70_000 + b"}"}),
    ("POST", "/v1/checks/entry", 422, "admin", {"json": {"policyholder": {"phone": 1}}}),
    ("GET", "/v1/audit", 400, "auditor", {"params": {"cursor": "not-a-cursor"}}),
    ("GET", "/v1/audit", 422, "auditor", {"params": {"limit": "0"}}),
]
# Requests that read the live store, and the status they get while it is unreachable (503) or failing (502).
OUTAGE_REQUESTS: list[tuple[str, str, int]] = [
    ("GET", "/ready", 503),
    ("GET", "/v1/clusters/{cluster_id}", 503),
    ("GET", "/v1/clusters/{cluster_id}", 502),
    ("POST", "/v1/checks/entry", 503),
    ("POST", "/v1/checks/entry", 502),
]


def _responses(method: str, path: str) -> dict[str, Any]:
    responses: dict[str, Any] = DOCUMENT["paths"][path][method.lower()]["responses"]
    return responses


def _error_statuses(method: str, path: str) -> list[str]:
    return [status for status in _responses(method, path) if int(status) >= 400]


def _send(client: TestClient, method: str, path: str, headers: dict[str, str], arguments: dict[str, Any]
          ) -> httpx.Response:
    arguments = dict(arguments)
    url = arguments.pop("path", CONCRETE_PATHS.get(path, path))
    if "content" in arguments:
        headers = {**headers, "Content-Type": "application/json"}
    if method == "POST" and not {"content", "json"} & arguments.keys():
        arguments["json"] = ENTRY_FORM
    return client.request(method, url, headers=headers, **arguments)


def assert_documented_problem(method: str, path: str, response: httpx.Response) -> None:
    """Assert that ``response`` is problem details that the operation documents: status, code and headers."""
    documented = _responses(method, path).get(str(response.status_code))
    assert documented is not None, f"{method} {path} returned {response.status_code}, which it does not document"
    assert response.headers["content-type"] == PROBLEM_MEDIA_TYPE
    problem = ProblemOut.model_validate_json(response.content, strict=True)
    assert problem.status == response.status_code
    examples = documented["content"][PROBLEM_MEDIA_TYPE]["examples"]
    assert problem.code in examples, f"{method} {path} returned code {problem.code}, which it does not document"
    required = [name for name, header in documented["headers"].items() if header["required"]]
    missing = [name for name in required if name.lower() not in response.headers]
    assert missing == [], f"{method} {path} returned {response.status_code} without {missing}"


@pytest.mark.parametrize(("method", "path"), [pytest.param(*op, id=" ".join(op)) for op in V1_OPERATIONS])
def test_v1_operation_documents_401_and_403(method: str, path: str) -> None:
    responses = _responses(method, path)
    for status in ("401", "403"):
        assert status in responses, f"{method} {path} does not document {status}"
        assert list(responses[status]["content"]) == [PROBLEM_MEDIA_TYPE]
        assert responses[status]["content"][PROBLEM_MEDIA_TYPE]["schema"] == PROBLEM_SCHEMA


@pytest.mark.parametrize(("method", "path"), [pytest.param(*op, id=" ".join(op)) for op in OPERATIONS])
def test_errors_documented_as_problems(method: str, path: str) -> None:
    for status in _error_statuses(method, path):
        response = _responses(method, path)[status]
        assert list(response["content"]) == [PROBLEM_MEDIA_TYPE], f"{method} {path} {status}"
        assert response["content"][PROBLEM_MEDIA_TYPE]["schema"] == PROBLEM_SCHEMA
        assert response["headers"]["Content-Language"]["required"] is True
        examples = response["content"][PROBLEM_MEDIA_TYPE]["examples"]
        assert examples, f"{method} {path} {status} has no example"
        for code, example in examples.items():
            problem = ProblemOut.model_validate(example["value"])
            assert problem.code == code
            assert problem.status == int(status)
            assert problem.detail == PROBLEMS[code].zh
            assert example["summary"] == PROBLEMS[code].en


def test_validation_error_documented_as_problem() -> None:
    # FastAPI adds an application/json HTTPValidationError 422 to any operation with parameters that documents
    # no 422 itself, but the app sends problem details for a validation error.
    assert "HTTPValidationError" not in DOCUMENT["components"]["schemas"]
    for method, path in OPERATIONS:
        operation = DOCUMENT["paths"][path][method.lower()]
        if operation.get("parameters") or "requestBody" in operation:
            assert "422" in operation["responses"], f"{method} {path} takes input but documents no 422"


def test_documented_errors_all_requested() -> None:
    documented = {(method, path, int(status)) for method, path in OPERATIONS
                  for status in _error_statuses(method, path)}
    requested = {(method, path, status) for method, path in AUTHENTICATED for status in (401, 403)}
    requested |= {(method, path, status) for method, path, status, _, _ in ERROR_REQUESTS}
    requested |= set(OUTAGE_REQUESTS)
    assert sorted(documented - requested) == [], "documented statuses that no test requests"
    assert sorted(requested - documented) == [], "statuses requested here that the document does not list"


@pytest.mark.parametrize(("method", "path"), [pytest.param(*op, id=" ".join(op)) for op in AUTHENTICATED])
def test_auth_errors_match_document(served: Served, method: str, path: str) -> None:
    missing_key = _send(served.client, method, path, {}, {})
    assert missing_key.status_code == 401
    assert_documented_problem(method, path, missing_key)

    denied = _send(served.client, method, path, served.headers(DENIED_ROLES.get(path, "auditor")), {})
    assert denied.status_code == 403
    assert_documented_problem(method, path, denied)


@pytest.mark.parametrize(
    ("method", "path", "status", "role", "arguments"),
    [pytest.param(*request, id=f"{request[0]} {request[1]} {request[2]}") for request in ERROR_REQUESTS],
)
def test_request_errors_match_document(
    served: Served, method: str, path: str, status: int, role: str, arguments: dict[str, Any]
) -> None:
    response = _send(served.client, method, path, served.headers(role, "en"), arguments)
    assert response.status_code == status
    assert_documented_problem(method, path, response)


class OutageStore(NetworkxStore):
    """The embedded store whose live reads raise ``failure`` once it is set, as a Neo4j store's do.

    ``verify`` raises only :class:`StoreUnavailableError`, the one error
    ``Neo4jStore.verify`` translates a failed connection to.
    """

    # Like a server store that cannot tell its version: responses are not cached, and lookups use the thread pool.
    lookups_in_memory = False

    def __init__(self) -> None:
        super().__init__()
        self.failure: StoreError | None = None

    def data_version(self) -> None:
        return None

    def _fail(self) -> None:
        if self.failure is not None:
            raise self.failure

    def verify(self) -> None:
        if isinstance(self.failure, StoreUnavailableError):
            raise self.failure

    def customer_identifiers(self, customer_ids: Sequence[str]) -> list[CustomerIdentifier]:
        self._fail()
        return super().customer_identifiers(customer_ids)

    def identifier_owners(self, kind: str, key: str) -> list[IdentifierOwner]:
        self._fail()
        return super().identifier_owners(kind, key)


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [pytest.param(*request, id=f"{request[0]} {request[1]} {request[2]}") for request in OUTAGE_REQUESTS],
)
def test_store_errors_match_document(
    sample_dataset: Dataset, publish_run: Publish, tmp_path: Path, method: str, path: str, status: int
) -> None:
    store = OutageStore()
    store.load(sample_dataset)
    settings = Settings(state_dir=tmp_path)
    app = create_app(settings, store)
    state = app.state.context.state
    publish_run(store, settings, state)
    headers = {"Authorization": f"Bearer {state.create_api_key('admin', 'outage test')[1]}"}
    client = TestClient(app)
    cluster_id = client.get("/v1/clusters", headers=headers).json()["items"][0]["cluster_id"]
    url = path.replace("{cluster_id}", cluster_id)
    assert _send(client, method, url, headers, {}).status_code == 200

    if status == 503:
        store.failure = StoreUnavailableError("Neo4j is unreachable")
    else:
        store.failure = StoreError("query failed")
    response = _send(client, method, url, headers, {})
    assert response.status_code == status
    assert_documented_problem(method, path, response)
