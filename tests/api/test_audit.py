"""Every data read leaves an audit entry naming who read which records; the log cannot be changed."""

from __future__ import annotations

import sqlite3
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from conftest import Served


def _last_entry(served: Served) -> dict[str, Any]:
    entries = served.state.read_audit(after=0, limit=1_000_000)
    entry = entries[-1]
    return {"key_id": entry.key_id, "role": entry.role, "route": entry.route, "query": entry.query,
            "outcome": entry.outcome, "record_ids": entry.record_ids}


def _key_id(served: Served, role: str) -> str:
    return served.tokens[role].split("_")[1]


def test_audit_cluster_list_and_detail(served: Served) -> None:
    page = served.client.get("/v1/clusters", headers=served.headers("investigator"), params={"min_size": 3}).json()
    entry = _last_entry(served)
    assert entry["route"] == "/v1/clusters"
    assert entry["key_id"] == _key_id(served, "investigator")
    assert entry["role"] == "investigator"
    assert entry["query"] == {"min_size": "3"}
    assert entry["record_ids"] == [c["cluster_id"] for c in page["items"]]

    cluster = page["items"][0]
    served.client.get(f"/v1/clusters/{cluster['cluster_id']}", headers=served.headers("case-system"))
    entry = _last_entry(served)
    assert entry["route"] == "/v1/clusters/{cluster_id}"
    assert entry["record_ids"] == [cluster["cluster_id"], *[m["customer_id"] for m in cluster["members"]]]


@pytest.mark.parametrize("path", ["/v1/findings", "/v1/agents/rechecks", "/v1/agents/substitutions",
                                  "/v1/hub-values", "/v1/agents/4457506554/recheck"])
def test_audit_each_read_route(served: Served, path: str) -> None:
    before = len(served.state.read_audit(limit=1_000_000))
    response = served.client.get(path, headers=served.headers("analyst"))
    assert response.status_code == 200
    entries = served.state.read_audit(limit=1_000_000)
    assert len(entries) == before + 1
    assert entries[-1].outcome == "allowed"
    assert entries[-1].key_id == _key_id(served, "analyst")
    body = response.json()
    if "items" in body and path == "/v1/findings":
        assert entries[-1].record_ids == [f["finding_id"] for f in body["items"]]
    if path.endswith("/recheck"):
        assert entries[-1].record_ids == [body["finding_id"]]


def test_audit_entry_check_without_values(served: Served, entry_form: dict[str, object]) -> None:
    served.client.post("/v1/checks/entry", headers=served.headers("investigator"), json=entry_form)
    entry = _last_entry(served)
    assert entry["route"] == "/v1/checks/entry"
    assert entry["record_ids"] == ["0056108361", "4476907038"]
    assert "15979139670" not in str(entry)
    assert entry["query"]["fields"]["policyholder"] == [
        "address", "bank_account", "birth_date", "gender", "id_number", "id_type", "name", "phone",
    ]


def test_audit_denied_request(served: Served) -> None:
    served.client.get("/v1/audit", headers=served.headers("admin"))
    entry = _last_entry(served)
    assert entry["outcome"] == "denied"
    assert entry["record_ids"] == []


def test_auditor_reads_log(served: Served) -> None:
    served.client.get("/v1/hub-values", headers=served.headers("analyst"))
    page = served.client.get("/v1/audit", headers=served.headers("auditor"),
                             params={"key_id": _key_id(served, "analyst")}).json()
    assert page["items"]
    assert all(item["key_id"] == _key_id(served, "analyst") for item in page["items"])
    assert page["items"][-1]["route"] == "/v1/hub-values"


def test_audit_log_append_only(served: Served) -> None:
    with served.state.connect() as connection:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute("DELETE FROM audit_log")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            connection.execute("UPDATE audit_log SET outcome = 'allowed'")
