"""The embedded store: no server, for small data, notebooks and tests.

The store keeps the graph as pandas frames of nodes and relationships, which
are what the detection rules scan, and builds a ``networkx.MultiDiGraph`` of
the same model on demand (:attr:`NetworkxStore.graph`) for analysts. Frames
are used for the rules because a networkx graph costs about a kilobyte per
node and is walked in Python, too slow and too large for a batch of a million
customers; the networkx view is built once per load and then cached.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from graph.model import (
    ROLE_RELATIONSHIPS,
    Dataset,
    identifier_uid,
    kind_label,
    kind_relationship,
)
from graph.store import (
    AGENT_MATCH_COLUMNS,
    AGENT_POLICYHOLDER_COLUMNS,
    AGENT_SALE_COLUMNS,
    AGENT_SUMMARY_COLUMNS,
    CARRIER_COLUMNS,
    CUSTOMER_DETAIL_COLUMNS,
    CUSTOMER_IDENTITY_COLUMNS,
    MEMBER_POLICY_COLUMNS,
    POLICY_PARTY_COLUMNS,
    PREMIUM_PAYER_COLUMNS,
    SHARED_COLUMNS,
    VERIFIED_COMPLAINT_COLUMNS,
    CustomerIdentifier,
    GraphCounts,
    GraphStore,
    IdentifierOwner,
    ProgressCallback,
    SharedIdentifiers,
    tidy_frame,
)

logger = logging.getLogger(__name__)

# Frame name -> the columns that identify a row; a reload replaces rows by these keys.
_FRAME_KEYS: dict[str, list[str]] = {
    "customers": ["customer_id"],
    "identifiers": ["owner_type", "owner_id", "kind", "key"],
    "policies": ["policy_no"],
    "policy_roles": ["policy_no", "customer_id", "role"],
    "agents": ["agent_id"],
    "agent_contacts": ["contact_id"],
    "complaints": ["complaint_id"],
    "payer_exceptions": ["policy_no", "premium_account"],
}

_OWNER_LABELS = {"customer": "Customer", "agent": "Agent", "agent_contact": "AgentContact"}
# Columns of the identifiers frame that the API's lookups return, in the order they are read.
_LOOKUP_COLUMNS = ["owner_type", "owner_id", "kind", "key", "value", "linkable", "flags"]


class _LookupIndexes:
    """Row positions of the identifiers frame by (kind, key) and by customer, for the API's lookups.

    ``table`` contains the looked-up columns as Arrow arrays that share the
    frame's memory, so a lookup takes its few rows from it without building
    a frame: about 60 microseconds against 3 ms through pandas, on a million
    customers. The agent contacts' agents and types are plain dicts.
    """

    def __init__(self, identifiers: pd.DataFrame, agent_contacts: pd.DataFrame) -> None:
        self.by_identifier: dict[tuple[str, str], list[int]] = {}
        self.by_customer: dict[str, list[int]] = {}
        rows = zip(identifiers["owner_type"].tolist(), identifiers["owner_id"].tolist(),
                   identifiers["kind"].tolist(), identifiers["key"].tolist(), strict=True)
        for position, (owner_type, owner_id, kind, key) in enumerate(rows):
            self.by_identifier.setdefault((str(kind), str(key)), []).append(position)
            if owner_type == "customer":
                self.by_customer.setdefault(str(owner_id), []).append(position)
        self.table = pa.Table.from_pandas(identifiers[_LOOKUP_COLUMNS], preserve_index=False)
        self.contact_agent = dict(zip(agent_contacts["contact_id"], agent_contacts["agent_id"], strict=True))
        self.contact_type = dict(zip(agent_contacts["contact_id"], agent_contacts["contact_type"], strict=True))

    def rows(self, positions: list[int]) -> list[tuple[Any, ...]]:
        """Return the looked-up columns of the rows at ``positions``, as tuples in ``_LOOKUP_COLUMNS`` order."""
        if not positions:
            return []
        selected = self.table.take(pa.array(positions, type=pa.int64()))
        return list(zip(*(selected.column(name).to_pylist() for name in _LOOKUP_COLUMNS), strict=True))


class NetworkxStore(GraphStore):
    """In-memory graph store; the default store."""

    name = "networkx"
    lookups_in_memory = True

    def __init__(self) -> None:
        self.data = Dataset()
        self._version = 0
        self._graph: nx.MultiDiGraph | None = None
        # The identifiers and agent contacts frames, and the API's lookup indexes built from them; rebuilt
        # when a load replaces either frame. One tuple, so a reader never pairs old frames with new indexes.
        self._indexed: tuple[pd.DataFrame, pd.DataFrame, _LookupIndexes] | None = None
        self._index_lock = threading.Lock()

    def data_version(self) -> int:
        """Return the count of loads and clears of this store, the only ways its data changes.

        A load raises it when it starts and when it ends, so a response built
        from a store part way through a load is cached under a number that
        no later request reads.
        """
        return self._version

    def load(self, dataset: Dataset, progress: ProgressCallback | None = None) -> None:
        self._version += 1
        for step, (frame_name, keys) in enumerate(_FRAME_KEYS.items(), start=1):
            old: pd.DataFrame = getattr(self.data, frame_name)
            new: pd.DataFrame = getattr(dataset, frame_name)
            if len(new):
                merged = new if old.empty else pd.concat([old, new], ignore_index=True)
                merged = merged.drop_duplicates(subset=keys, keep="last", ignore_index=True)
                setattr(self.data, frame_name, merged)
            if progress is not None:
                progress("load", step, len(_FRAME_KEYS))
        self._graph = None
        self._version += 1
        logger.info("networkx store loaded: %d customers, %d identifier rows",
                    len(self.data.customers), len(self.data.identifiers))

    def clear(self) -> None:
        self._version += 1
        self.data = Dataset()
        self._graph = None

    def _customer_identifiers(self) -> pd.DataFrame:
        ids = self.data.identifiers
        return ids[ids["owner_type"] == "customer"]

    def counts(self) -> GraphCounts:
        ids = self.data.identifiers
        nodes = {
            "Customer": len(self.data.customers),
            "Policy": len(self.data.policies),
            "Agent": len(self.data.agents),
            "AgentContact": len(self.data.agent_contacts),
        }
        unique_ids = pd.concat(
            [
                ids[["kind", "key"]],
                self.data.policies[["premium_account"]]
                .dropna()
                .rename(columns={"premium_account": "key"})
                .assign(kind="bank_account"),
            ],
            ignore_index=True,
        ).drop_duplicates()
        for kind, n in unique_ids["kind"].value_counts().items():
            label = kind_label(str(kind))
            nodes[label] = nodes.get(label, 0) + int(n)
        relationships: dict[str, int] = {}
        for role, n in self.data.policy_roles["role"].value_counts().items():
            relationships[ROLE_RELATIONSHIPS[str(role)]] = int(n)
        relationships["SOLD"] = int(self.data.policies["agent_id"].notna().sum())
        relationships["PAID_FROM"] = int(self.data.policies["premium_account"].notna().sum())
        relationships["HAS_CONTACT"] = len(self.data.agent_contacts)
        for kind, n in ids["kind"].value_counts().items():
            rel = kind_relationship(str(kind))
            relationships[rel] = relationships.get(rel, 0) + int(n)
        return GraphCounts(
            nodes={k: v for k, v in nodes.items() if v},
            relationships={k: v for k, v in relationships.items() if v},
        )

    def shared_identifiers(self, kinds: Sequence[str], max_members: int) -> SharedIdentifiers:
        ids = self._customer_identifiers()
        ids = ids[ids["kind"].isin(list(kinds)) & ids["linkable"].astype(bool)]
        if ids.empty:
            return SharedIdentifiers(
                pd.DataFrame(columns=SHARED_COLUMNS), pd.DataFrame(columns=CARRIER_COLUMNS)
            )
        return _shared_identifiers(ids, max_members)

    def customer_policies(self, customer_ids: Sequence[str]) -> pd.DataFrame:
        roles = self.data.policy_roles
        roles = roles[roles["customer_id"].isin(list(customer_ids))]
        merged = roles.merge(
            self.data.policies[["policy_no", "agent_id", "channel", "product_name"]], on="policy_no", how="left"
        )
        merged = merged.astype(object).where(merged.notna(), None)
        return merged[MEMBER_POLICY_COLUMNS].sort_values(["customer_id", "policy_no", "role"], ignore_index=True)

    def customer_details(self, customer_ids: Sequence[str]) -> pd.DataFrame:
        customers = self.data.customers
        rows = customers[customers["customer_id"].isin(list(customer_ids))]
        return rows[CUSTOMER_DETAIL_COLUMNS].sort_values("customer_id", ignore_index=True)

    def customer_identities(self) -> pd.DataFrame:
        customers = self.data.customers[CUSTOMER_IDENTITY_COLUMNS]
        customers = customers.assign(id_flags=[str(f or "") for f in customers["id_flags"]])
        return tidy_frame(customers, CUSTOMER_IDENTITY_COLUMNS, ["customer_id"])

    def policy_parties(self) -> pd.DataFrame:
        policies = self.data.policies[["policy_no", "application_date", "agent_id", "channel"]]
        customers = self.data.customers[["customer_id", "name", "gender", "birth_date", "id_number", "id_problem"]]
        parties = self.data.policy_roles.merge(policies, on="policy_no").merge(customers, on="customer_id")
        ids = self._customer_identifiers()
        with_phone = set(ids.loc[ids["kind"] == "phone", "owner_id"])
        with_address = set(ids.loc[ids["kind"] == "address", "owner_id"])
        parties = parties.assign(
            has_phone=[c in with_phone for c in parties["customer_id"]],
            has_address=[c in with_address for c in parties["customer_id"]],
        )
        return tidy_frame(parties, POLICY_PARTY_COLUMNS, ["policy_no", "customer_id", "role"])

    def agent_identifier_matches(self, kinds: Sequence[str]) -> pd.DataFrame:
        ids = self.data.identifiers
        ids = ids[ids["kind"].isin(list(kinds))]
        customer_rows = ids[
            (ids["owner_type"] == "customer")
            & ids["linkable"].astype(bool)
            & ~ids["flags"].fillna("").str.contains("placeholder", regex=False)
        ][["owner_id", "kind", "key"]].rename(columns={"owner_id": "customer_id"})

        # 1. Identifiers of agents and of their registered contacts, each with its agent.
        agent_rows = ids[ids["owner_type"] == "agent"][["owner_id", "kind", "key"]]
        agent_rows = agent_rows.rename(columns={"owner_id": "agent_id"}).assign(
            owner_type="agent", contact_id=None, contact_type=None, contact_name=None
        )
        contacts = self.data.agent_contacts.rename(columns={"name": "contact_name"})
        contact_rows = ids[ids["owner_type"] == "agent_contact"][["owner_id", "kind", "key"]]
        contact_rows = contact_rows.rename(columns={"owner_id": "contact_id"}).merge(
            contacts[["contact_id", "agent_id", "contact_type", "contact_name"]], on="contact_id"
        ).assign(owner_type="agent_contact")
        owners = pd.concat([agent_rows, contact_rows], ignore_index=True)
        matches = customer_rows.merge(owners, on=["kind", "key"])

        # 2. Whether the agent (or, for an agency, one of its agents) sold the customer a policy.
        agency_of = dict(zip(self.data.agents["agent_id"], self.data.agents["agency_id"], strict=True))
        sales = self.data.policy_roles.merge(self.data.policies[["policy_no", "agent_id"]], on="policy_no")
        sold_pairs = {(c, a) for c, a in zip(sales["customer_id"], sales["agent_id"], strict=True) if a}
        sold_pairs |= {(c, agency_of.get(a)) for c, a in sold_pairs if agency_of.get(a)}
        id_of_customer = dict(zip(self.data.customers["customer_id"], self.data.customers["id_number"], strict=True))
        id_of_agent = dict(zip(self.data.agents["agent_id"], self.data.agents["id_number"], strict=True))
        matches = matches.assign(
            sold_to_customer=[(c, a) in sold_pairs for c, a in zip(matches["customer_id"], matches["agent_id"],
                                                                    strict=True)],
            customer_is_agent=[
                bool(id_of_customer.get(c)) and id_of_customer.get(c) == id_of_agent.get(a)
                for c, a in zip(matches["customer_id"], matches["agent_id"], strict=True)
            ],
        )
        return tidy_frame(matches, AGENT_MATCH_COLUMNS, ["customer_id", "agent_id", "kind", "key", "contact_id"])

    def agent_policyholders(self) -> pd.DataFrame:
        holders = self.data.policy_roles[self.data.policy_roles["role"] == "policyholder"]
        rows = (
            holders.merge(self.data.policies[["policy_no", "agent_id", "channel"]], on="policy_no")
            .merge(self.data.customers[["customer_id", "id_number"]], on="customer_id")
            .merge(self.data.agents[["agent_id", "id_number"]], on="agent_id", suffixes=("", "_agent"))
        )
        rows = rows[rows["id_number"].notna() & (rows["id_number"] == rows["id_number_agent"])]
        return tidy_frame(rows, AGENT_POLICYHOLDER_COLUMNS, ["agent_id", "policy_no", "customer_id"])

    def premium_payers(self) -> pd.DataFrame:
        policies = self.data.policies
        policies = policies[policies["premium_account"].notna()][
            ["policy_no", "agent_id", "channel", "premium_account", "payer_name", "payer_id_number"]
        ]
        roles = self.data.policy_roles
        holders = roles[roles["role"] == "policyholder"][["policy_no", "customer_id"]].merge(
            self.data.customers[["customer_id", "name", "id_number"]], on="customer_id"
        ).rename(columns={
            "customer_id": "policyholder_id", "name": "policyholder_name", "id_number": "policyholder_id_number",
        })
        exceptions = self.data.payer_exceptions.rename(columns={
            "approver": "exception_approver", "reason": "exception_reason", "expiry_date": "exception_expiry_date",
        })
        rows = policies.merge(holders, on="policy_no", how="left").merge(
            exceptions, on=["policy_no", "premium_account"], how="left"
        )
        return tidy_frame(rows, PREMIUM_PAYER_COLUMNS, ["policy_no", "policyholder_id"])

    def verified_complaints(self) -> pd.DataFrame:
        complaints = self.data.complaints
        verified = complaints[[bool(v) if pd.notna(v) else False for v in complaints["verified"]]]
        return tidy_frame(verified, VERIFIED_COMPLAINT_COLUMNS, ["agent_id", "complaint_id"])

    def agents(self) -> pd.DataFrame:
        return tidy_frame(self.data.agents, AGENT_SUMMARY_COLUMNS, ["agent_id"])

    def agent_sales(self, agent_ids: Sequence[str]) -> pd.DataFrame:
        policies = self.data.policies
        sold = policies[policies["agent_id"].isin(list(agent_ids))][
            ["agent_id", "policy_no", "product_name", "channel", "application_date", "signed_date"]
        ]
        rows = sold.merge(self.data.policy_roles, on="policy_no", how="left")
        return tidy_frame(rows, AGENT_SALE_COLUMNS, ["agent_id", "policy_no", "customer_id", "role"])

    def _lookup_indexes(self) -> _LookupIndexes:
        """Return the lookup indexes of the current identifiers and agent contacts, built if either changed.

        One thread builds them while concurrent callers wait: at a million
        customers each build takes seconds and gigabytes, so fifty API requests
        building their own copies at once exhausted the machine's memory.
        """
        identifiers, contacts = self.data.identifiers, self.data.agent_contacts
        indexed = self._indexed
        if indexed is None or indexed[0] is not identifiers or indexed[1] is not contacts:
            with self._index_lock:
                indexed = self._indexed
                if indexed is None or indexed[0] is not identifiers or indexed[1] is not contacts:
                    indexed = (identifiers, contacts, _LookupIndexes(identifiers, contacts))
                    self._indexed = indexed
        return indexed[2]

    def prepare_lookups(self) -> None:
        self._lookup_indexes()

    def identifier_owners(self, kind: str, key: str) -> list[IdentifierOwner]:
        indexes = self._lookup_indexes()
        owners = [
            IdentifierOwner(
                owner_type=owner_type,
                owner_id=owner_id,
                agent_id=owner_id if owner_type == "agent"
                else indexes.contact_agent.get(owner_id) if owner_type == "agent_contact" else None,
                contact_type=indexes.contact_type.get(owner_id) if owner_type == "agent_contact" else None,
                linkable=bool(linkable),
                flags=flags or "",
            )
            for owner_type, owner_id, _, _, _, linkable, flags
            in indexes.rows(indexes.by_identifier.get((kind, key), []))
        ]
        return sorted(owners, key=lambda owner: (owner.owner_type, owner.owner_id))

    def customer_identifiers(self, customer_ids: Sequence[str]) -> list[CustomerIdentifier]:
        indexes = self._lookup_indexes()
        positions = [p for c in dict.fromkeys(customer_ids) for p in indexes.by_customer.get(str(c), [])]
        rows = [
            CustomerIdentifier(owner_id, kind, key, value or "", bool(linkable), flags or "")
            for _, owner_id, kind, key, value, linkable, flags in indexes.rows(positions)
        ]
        return sorted(rows, key=lambda row: (row.customer_id, row.kind, row.key))

    @property
    def graph(self) -> nx.MultiDiGraph:
        """The whole graph as a networkx MultiDiGraph, built on first use after a load.

        Node ids are ``"<Label>:<key>"`` (``"Customer:C0001"``,
        ``"Identifier:phone:+8613912345678"``); every node has a ``label``
        attribute and every edge a ``type`` attribute, as in Neo4j.
        """
        if self._graph is None:
            self._graph = self._build_graph()
        return self._graph

    def _build_graph(self) -> nx.MultiDiGraph:
        g = nx.MultiDiGraph()
        data = self.data
        for row in data.customers.to_dict("records"):
            g.add_node(f"Customer:{row['customer_id']}", label="Customer", **_present(row))
        for row in data.policies.to_dict("records"):
            g.add_node(f"Policy:{row['policy_no']}", label="Policy", **_present(row))
            if row.get("agent_id"):
                g.add_edge(f"Agent:{row['agent_id']}", f"Policy:{row['policy_no']}", type="SOLD")
            if row.get("premium_account"):
                uid = identifier_uid("bank_account", row["premium_account"])
                g.add_node(f"Identifier:{uid}", label="Identifier", kind="bank_account",
                           key=row["premium_account"], kind_label=kind_label("bank_account"))
                g.add_edge(f"Policy:{row['policy_no']}", f"Identifier:{uid}", type="PAID_FROM")
        for row in data.agents.to_dict("records"):
            g.add_node(f"Agent:{row['agent_id']}", label="Agent", **_present(row))
        for row in data.agent_contacts.to_dict("records"):
            g.add_node(f"AgentContact:{row['contact_id']}", label="AgentContact", **_present(row))
            g.add_edge(f"Agent:{row['agent_id']}", f"AgentContact:{row['contact_id']}", type="HAS_CONTACT")
        for row in data.policy_roles.to_dict("records"):
            g.add_edge(f"Customer:{row['customer_id']}", f"Policy:{row['policy_no']}",
                       type=ROLE_RELATIONSHIPS[row["role"]])
        for row in data.identifiers.to_dict("records"):
            uid = identifier_uid(row["kind"], row["key"])
            node = f"Identifier:{uid}"
            if node not in g:
                g.add_node(node, label="Identifier", kind=row["kind"], key=row["key"],
                           kind_label=kind_label(row["kind"]), linkable=bool(row["linkable"]))
            owner = f"{_OWNER_LABELS[row['owner_type']]}:{row['owner_id']}"
            g.add_edge(owner, node, type=kind_relationship(row["kind"]), value=row["value"])
        return g


def _present(row: dict[Any, Any]) -> dict[str, Any]:
    return {str(k): v for k, v in row.items() if v is not None and k != "label"}


def _shared_identifiers(ids: pd.DataFrame, max_members: int) -> SharedIdentifiers:
    """Count the distinct customers of each (kind, key) with integer codes, with no Python step per identifier.

    Rows with a missing kind or key are left out and a missing customer id is
    not counted, as in ``groupby(["kind", "key"]).nunique()``.
    """
    # 1. Candidate rows: rows whose key occurs on two or more rows. Most keys
    #    occur once and cannot be shared, so the exact count runs on few rows.
    key_codes = _codes(ids["key"])
    has_key = key_codes >= 0
    rows_per_key = np.bincount(key_codes[has_key], minlength=1)
    is_candidate = has_key & (rows_per_key[np.where(has_key, key_codes, 0)] >= 2)
    candidates = ids[is_candidate]
    key_codes = key_codes[is_candidate]
    kind_codes = _codes(candidates["kind"])
    has_kind = kind_codes >= 0
    candidates, key_codes, kind_codes = candidates[has_kind], key_codes[has_kind], kind_codes[has_kind]
    identifier_codes, _ = pd.factorize(kind_codes * (int(key_codes.max(initial=0)) + 1) + key_codes)

    # 2. Distinct customers per identifier: each (identifier, customer) pair counts once.
    customer_codes = _codes(candidates["owner_id"])
    has_customer = customer_codes >= 0
    customer_total = max(int(customer_codes.max(initial=-1)) + 1, 1)
    pairs = pd.unique(identifier_codes[has_customer] * customer_total + customer_codes[has_customer])
    identifier_total = int(identifier_codes.max(initial=-1)) + 1
    customer_count = np.bincount(pairs // customer_total, minlength=identifier_total)
    is_shared = customer_count >= 2
    is_small = is_shared & (customer_count <= max_members)

    # 3. One row per shared identifier, taken from its first candidate row, with its flags.
    #    pd.factorize numbers codes in order of first appearance, so first_rows[code] is that row.
    first_rows = np.flatnonzero(~pd.Series(identifier_codes).duplicated().to_numpy())
    shared_codes = np.flatnonzero(is_shared)
    # Kinds and keys are text, so they get the str dtype that pandas gives text group keys.
    shared = candidates.iloc[first_rows[shared_codes]][["kind", "key"]].reset_index(drop=True).astype("str")
    shared["customer_count"] = customer_count[shared_codes]
    shared["flags"] = pd.Series(_joined_flags(candidates["flags"], identifier_codes, is_shared), dtype="str")
    shared = shared.sort_values(["kind", "key"], ignore_index=True)

    # 4. Carriers of the shared identifiers that have at most max_members customers.
    carriers = candidates[is_small[identifier_codes]][["kind", "key", "owner_id", "value"]]
    carriers = carriers.rename(columns={"owner_id": "customer_id"})
    carriers = carriers.sort_values(["kind", "key", "customer_id"], ignore_index=True)
    return SharedIdentifiers(shared[SHARED_COLUMNS], carriers[CARRIER_COLUMNS])


def _codes(values: pd.Series) -> npt.NDArray[np.int64]:
    """Return an integer code per value (equal values get equal codes) and -1 for a missing value.

    Arrow's dictionary encoding is used because it encodes object-dtype
    text, as the export loader builds it, faster than ``pd.factorize`` (0.75 s
    against 1.27 s for 2,000,000 keys, see docs/benchmarks.md), and
    Arrow-backed text about as fast. Values that Arrow cannot convert fall
    back to ``pd.factorize``.
    """
    try:
        array = pa.array(values, from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pd.factorize(values)[0].astype(np.int64)
    if isinstance(array, pa.ChunkedArray):  # A filtered Arrow-backed column has several chunks.
        array = array.combine_chunks()
    encoded = pc.dictionary_encode(array)
    codes: npt.NDArray[np.int64] = pc.fill_null(encoded.indices, -1).to_numpy().astype(np.int64)
    return codes


def _joined_flags(
    flags: pd.Series, identifier_codes: npt.NDArray[np.intp], is_shared: npt.NDArray[np.bool_]
) -> list[str]:
    """Return the flags of each shared identifier: the union of its rows' comma-separated flags, sorted and joined.

    ``flags`` and ``identifier_codes`` are aligned by row, and the result
    follows the order of the shared identifiers' codes. Missing and empty
    flags add nothing.
    """
    has_flags = flags.notna().to_numpy() & (flags != "").to_numpy()
    rows = np.flatnonzero(is_shared[identifier_codes] & has_flags)
    flag_sets: dict[int, set[str]] = {}
    for code, value in zip(identifier_codes[rows].tolist(), flags.iloc[rows].tolist(), strict=True):
        flag_sets.setdefault(code, set()).update(f for f in str(value).split(",") if f)
    return [",".join(sorted(flag_sets.get(code, ()))) for code in np.flatnonzero(is_shared).tolist()]
