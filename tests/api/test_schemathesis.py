"""Property-based requests from the API's own OpenAPI document, sent in-process with schemathesis.

Schemathesis reads ``/openapi.json`` from the app and generates requests for
every operation: valid ones from the schemas and examples, and invalid ones
that the app must reject with a 4xx. Each response must not be a server
error, must use a status code the document declares, and must match the
declared media type, required headers and response schema.

Every request carries a valid key: the auditor's for ``/v1/audit`` (the only
role allowed there) and the admin's elsewhere, so that requests get past
authentication and reach the route code.

The document is read at import from an app over an empty store, because
``schema.parametrize()`` needs it at collection. Each request is then sent to
the app of the ``served`` fixture, which serves the published sample export
on each store. The document depends on the code alone, so both apps publish
the same one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.app import create_app
from api.state import encode_token
from graph.networkx_store import NetworkxStore
from kycgraph.settings import Settings

if TYPE_CHECKING:
    from conftest import Served

CHECKS = [
    not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
    response_schema_conformance, negative_data_rejection,
]
# Examples per operation: enough to reach each route's validation branches, small enough for seconds per store.
MAX_EXAMPLES = 25


# NOTE: schemathesis.pytest.from_fixture would load the document from the served app, but in schemathesis
# 4.32.5 it fails on pytest 9.2, which removed the Function._nodeid attribute that its lazy loader sets.
schema = schemathesis.openapi.from_dict(create_app(Settings(), NetworkxStore()).openapi())


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_api_conforms_to_openapi(case: schemathesis.Case, served: Served) -> None:
    role = "auditor" if case.path == "/v1/audit" else "admin"
    case.call_and_validate(headers=served.headers(role), checks=CHECKS, app=served.client.app)


# Requests that returned a server error until schemathesis found them, with the status and problem code
# they get now: (path, role, query, status, code).
FOUND_CASES = [
    pytest.param("/v1/clusters", "admin", {"min_size": str(2**63)}, 422, "invalid_request", id="min_size over int64"),
    pytest.param("/v1/clusters", "admin", {"max_size": str(2**63)}, 422, "invalid_request", id="max_size over int64"),
    pytest.param("/v1/clusters", "admin", {"cursor": encode_token("clusters", [2**63, "SC-0"])}, 400,
                 "invalid_cursor", id="cluster cursor over int64"),
    pytest.param("/v1/findings", "admin", {"since": encode_token("since", [2**63])}, 400, "invalid_cursor",
                 id="since over int64"),
    pytest.param("/v1/audit", "auditor", {"cursor": encode_token("audit", [2**63])}, 400, "invalid_cursor",
                 id="audit cursor over int64"),
]


@pytest.mark.parametrize(("path", "role", "query", "status", "code"), FOUND_CASES)
def test_out_of_range_integer_rejected(
    served: Served, path: str, role: str, query: dict[str, str], status: int, code: str
) -> None:
    response = served.client.get(path, params=query, headers=served.headers(role))
    assert response.status_code == status
    assert response.json()["code"] == code


def test_entry_check_undecodable_body_is_422(served: Served) -> None:
    headers = {**served.headers("admin"), "Content-Type": "application/json"}
    response = served.client.post("/v1/checks/entry", content=b"\xff\xfe\x18", headers=headers)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_request"
    assert response.json()["errors"] == [{"loc": ["body"], "type": "json_invalid"}]
