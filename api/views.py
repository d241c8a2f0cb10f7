"""Turn registry items and store rows into response bodies, masked for roles that may not see personal data.

The registry keeps each cluster as the rule published it: member names in
full, shared identifiers already masked. A masked view masks the names. The
full view of one cluster reads the members' identifiers from the live store
to show the shared phones and accounts unmasked; list routes never do,
because they serve from the registry alone.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Sequence
from typing import Any

import pandas as pd

from api.state import RegistryItem
from graph.model import ROLE_RELATIONSHIPS, kind_relationship
from graph.rules import rule_name
from graph.store import GraphStore
from kycgraph.i18n import Lang
from kycgraph.masking import mask_name, mask_value

# Total size of the encoded bodies one PageCache keeps: 32 MiB, about 180 pages of 100 clusters of ten members.
PAGE_CACHE_BYTES = 32 * 1024 * 1024


class PageCache:
    """Encoded response bodies by request and data version, least recently used dropped first.

    The registry changes only in a publish, and a publish that changes any
    cluster or finding raises ``StateDB.last_sequence``. A key that contains
    that number, and the store's ``data_version`` for a body read from the
    store, therefore names one body for as long as it can be served. Each
    entry is the JSON body and the record ids it returns, for the audit log.
    """

    def __init__(self, max_bytes: int = PAGE_CACHE_BYTES) -> None:
        self.max_bytes = max_bytes
        self._pages: OrderedDict[Hashable, tuple[bytes, list[str]]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> tuple[bytes, list[str]] | None:
        """Return the page stored under ``key``, or None."""
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: Hashable, body: bytes, record_ids: list[str]) -> None:
        """Store a page, then drop the least recently used pages until the total fits ``max_bytes``."""
        with self._lock:
            if key in self._pages:
                return
            self._pages[key] = (body, record_ids)
            self._size += len(body)
            while self._size > self.max_bytes:
                _, (dropped, _) = self._pages.popitem(last=False)
                self._size -= len(dropped)


def _name(name: object, full: bool) -> str | None:
    if name is None:
        return None
    return str(name) if full else mask_name(str(name))


def cluster_out(item: RegistryItem, full: bool) -> dict[str, Any]:
    """Return a cluster of the registry as a response body; names are masked unless ``full``."""
    body = item.body
    return {
        "cluster_id": item.item_id,
        "rule": body["rule"],
        "status": item.status,
        "size": body["size"],
        "link_kinds": body["link_kinds"],
        "channels": body["channels"],
        "agent_ids": body["agent_ids"],
        "first_seen": item.first_seen,
        "last_changed": item.last_changed,
        "members": [
            {**member, "name": _name(member.get("name"), full)} for member in body["members"]
        ],
        "evidence": body["evidence"],
    }


def finding_out(item: RegistryItem, lang: Lang) -> dict[str, Any]:
    """Return a finding of the registry as a response body with its message in ``lang``."""
    body = item.body
    return {
        **{key: body.get(key) for key in (
            "finding_id", "rule", "severity", "message_zh", "message_en", "evidence",
            "customer_id", "policy_no", "agent_id", "channel",
        )},
        "rule_name": rule_name(body["rule"], lang),
        "message": body["message_zh"] if lang == "zh" else body["message_en"],
        "status": item.status,
        "first_seen": item.first_seen,
        "last_changed": item.last_changed,
    }


def cluster_detail(item: RegistryItem, store: GraphStore, full: bool) -> dict[str, Any]:
    """Return one cluster with its members' identifiers and a drawable graph, read from the live store.

    Steps:

    1. Read the identifiers of every member from the store.
    2. Match each published evidence item to the full identifier it masks:
       same kind, same mask, carried by every customer it names. Unless
       ``full``, the shown key and values stay masked.
    3. Build the graph: members, shared identifiers, policies and agents.

    Raises:
        StoreUnavailableError: the store cannot be reached.
    """
    view = cluster_out(item, full)
    member_ids = [str(m["customer_id"]) for m in item.body["members"]]

    # 1. Identifiers of the members.
    carriers: dict[tuple[str, str], dict[str, str]] = {}
    for row in store.customer_identifiers(member_ids):
        carriers.setdefault((row.kind, row.key), {})[row.customer_id] = row.value

    # 2. Evidence matched to full keys.
    shared_keys: set[tuple[str, str]] = set()
    evidence: list[dict[str, Any]] = []
    for item_evidence in item.body["evidence"]:
        match = _matching_key(item_evidence, carriers)
        if match is not None:
            shared_keys.add(match)
        if match is None or not full:
            evidence.append(item_evidence)
            continue
        values_of = carriers[match]
        evidence.append({
            **item_evidence,
            "key": match[1],
            "values": [values_of.get(str(c), "") for c in item_evidence["customer_ids"]],
        })
    view["evidence"] = evidence
    for member in view["members"]:
        customer_id = str(member["customer_id"])
        member["identifiers"] = [
            {"kind": kind, "value": key if full else mask_value(kind, key), "shared": (kind, key) in shared_keys}
            for (kind, key), owners in sorted(carriers.items()) if customer_id in owners
        ]

    # 3. Graph.
    view["graph"] = _graph(view["members"], item.body["members"], shared_keys, carriers, full)
    return view


def _matching_key(
    evidence: dict[str, Any], carriers: dict[tuple[str, str], dict[str, str]]
) -> tuple[str, str] | None:
    kind = str(evidence["kind"])
    named = {str(c) for c in evidence["customer_ids"]}
    for (candidate_kind, key), owners in sorted(carriers.items()):
        if candidate_kind == kind and mask_value(kind, key) == evidence["key"] and named <= set(owners):
            return candidate_kind, key
    return None


def _graph(
    members: Sequence[dict[str, Any]],
    published_members: Sequence[dict[str, Any]],
    shared_keys: set[tuple[str, str]],
    carriers: dict[tuple[str, str], dict[str, str]],
    full: bool,
) -> dict[str, list[dict[str, Any]]]:
    nodes: dict[str, dict[str, Any]] = {}
    edges: list[dict[str, Any]] = []
    for member in members:
        node_id = f"Customer:{member['customer_id']}"
        nodes[node_id] = {"id": node_id, "type": "Customer", "label": member["name"] or member["customer_id"],
                          "properties": {"customer_id": member["customer_id"]}}
    # Identifier node ids are numbered, because a key in an id would show the value to masked roles.
    for number, (kind, key) in enumerate(sorted(shared_keys), start=1):
        node_id = f"Identifier:{kind}:{number}"
        nodes[node_id] = {"id": node_id, "type": "Identifier", "label": key if full else mask_value(kind, key),
                          "properties": {"kind": kind}}
        for customer_id in sorted(carriers[(kind, key)]):
            if f"Customer:{customer_id}" in nodes:
                edges.append({"source": f"Customer:{customer_id}", "target": node_id,
                              "type": kind_relationship(kind)})
    for member in published_members:
        for policy in member["policies"]:
            policy_node = f"Policy:{policy['policy_no']}"
            nodes.setdefault(policy_node, {
                "id": policy_node, "type": "Policy", "label": policy["policy_no"],
                "properties": {"channel": policy.get("channel"), "product_name": policy.get("product_name")},
            })
            edges.append({"source": f"Customer:{member['customer_id']}", "target": policy_node,
                          "type": ROLE_RELATIONSHIPS.get(str(policy["role"]), str(policy["role"]))})
            if policy.get("agent_id"):
                agent_node = f"Agent:{policy['agent_id']}"
                nodes.setdefault(agent_node, {"id": agent_node, "type": "Agent", "label": policy["agent_id"],
                                              "properties": {"agent_id": policy["agent_id"]}})
                sold = {"source": agent_node, "target": policy_node, "type": "SOLD"}
                if sold not in edges:
                    edges.append(sold)
    return {"nodes": list(nodes.values()), "edges": edges}


def frame_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return a store frame's rows as dicts with None for missing values."""
    return [{str(k): v for k, v in row.items()} for row in frame.astype(object).where(frame.notna(), None)
            .to_dict("records")]
