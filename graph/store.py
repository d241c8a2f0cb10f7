"""The interface every graph store implements.

Detection rules talk to a store only through these methods, so a rule gives
the same answer on every store. A store does the graph work it is good at
(Cypher on Neo4j, array scans in memory) and returns small frames; rules turn
them into findings in plain Python shared by all stores.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import pandas as pd

from graph.model import Dataset

# Called with (step name, done, total) while a long step runs.
ProgressCallback = Callable[[str, int, int], None]

SHARED_COLUMNS = ["kind", "key", "customer_count", "flags"]
CARRIER_COLUMNS = ["kind", "key", "customer_id", "value"]
MEMBER_POLICY_COLUMNS = ["customer_id", "policy_no", "role", "agent_id", "channel", "product_name"]
CUSTOMER_DETAIL_COLUMNS = ["customer_id", "name", "gender", "birth_date", "id_type"]

# Columns of the frames the authenticity rules read. Dates are ``datetime.date``,
# missing values None, ``has_*`` and ``sold_to_customer``/``customer_is_agent`` bool.
CUSTOMER_IDENTITY_COLUMNS = [
    "customer_id", "name", "gender", "birth_date", "id_type", "id_number", "id_problem", "id_flags",
]
POLICY_PARTY_COLUMNS = [
    "policy_no", "customer_id", "role", "application_date", "agent_id", "channel",
    "name", "gender", "birth_date", "id_number", "id_problem", "has_phone", "has_address",
]
AGENT_MATCH_COLUMNS = [
    "customer_id", "kind", "key", "agent_id", "owner_type", "contact_id", "contact_type", "contact_name",
    "sold_to_customer", "customer_is_agent",
]
AGENT_POLICYHOLDER_COLUMNS = ["agent_id", "policy_no", "customer_id", "channel"]
PREMIUM_PAYER_COLUMNS = [
    "policy_no", "agent_id", "channel", "premium_account", "payer_name", "payer_id_number",
    "policyholder_id", "policyholder_name", "policyholder_id_number",
    "exception_approver", "exception_reason", "exception_expiry_date",
]
VERIFIED_COMPLAINT_COLUMNS = ["complaint_id", "agent_id", "policy_no", "category", "received_date", "verified_date"]
AGENT_SUMMARY_COLUMNS = ["agent_id", "name", "agent_type", "agency_id"]
AGENT_SALE_COLUMNS = [
    "agent_id", "policy_no", "product_name", "channel", "application_date", "signed_date", "customer_id", "role",
]


class IdentifierOwner(NamedTuple):
    """A customer, agent or agent contact that carries an identifier; one row of ``identifier_owners``.

    ``agent_id`` is the agent itself for an agent, the contact's agent for an
    agent contact, and None for a customer. ``contact_type`` is set for agent
    contacts only. ``flags`` contains comma-separated codes, "" when none.
    """

    owner_type: str
    owner_id: str
    agent_id: str | None
    contact_type: str | None
    linkable: bool
    flags: str


class CustomerIdentifier(NamedTuple):
    """One identifier of a customer, with the cell text as read; one row of ``customer_identifiers``."""

    customer_id: str
    kind: str
    key: str
    value: str
    linkable: bool
    flags: str


def tidy_frame(frame: pd.DataFrame, columns: list[str], keys: list[str]) -> pd.DataFrame:
    """Return ``columns`` of a frame as object columns with None for missing values, sorted by ``keys``.

    Keys are compared as text with None as "", so that every store returns
    the rows of the authenticity-rule methods in the same order.
    """
    rows = frame.reindex(columns=columns).astype(object)
    rows = rows.where(rows.notna(), None)
    # pandas sorts missing values last even under a key function, so sort on text copies instead.
    sort_keys = pd.DataFrame(
        {f"key{i}": [("" if value is None else str(value)) for value in rows[key]] for i, key in enumerate(keys)},
        index=rows.index,
    )
    order = sort_keys.sort_values(list(sort_keys.columns), kind="stable").index
    return rows.loc[order].reset_index(drop=True)


@dataclass(frozen=True)
class GraphCounts:
    """Node counts by label and relationship counts by type."""

    nodes: dict[str, int]
    relationships: dict[str, int]

    @property
    def total_nodes(self) -> int:
        return sum(self.nodes.values())

    @property
    def total_relationships(self) -> int:
        return sum(self.relationships.values())


@dataclass(frozen=True)
class SharedIdentifiers:
    """Identifiers carried by two or more different customers.

    ``shared`` has one row per identifier (``SHARED_COLUMNS``). ``carriers``
    lists who carries each identifier (``CARRIER_COLUMNS``), but only for
    identifiers with at most ``max_members`` customers: larger ones are hub
    values whose members would only be counted.
    """

    shared: pd.DataFrame
    carriers: pd.DataFrame


class GraphStore(ABC):
    """A graph of customers, policies, agents and identifiers (see ``graph.model``)."""

    name: str
    # True when the API lookups below run in this process's memory without I/O, so that the HTTP API may call
    # them on its event loop; False sends them to the thread pool, as a network round trip needs.
    lookups_in_memory: bool = False

    def data_version(self) -> int | None:
        """Return a number that changes whenever this store's data changes, or None when the store cannot tell.

        The HTTP API caches responses built from the store under this
        number, so a store whose data can change without the number
        changing must return None. The default is None.

        Raises:
            StoreUnavailableError: a server store cannot be reached.
        """
        return None

    @abstractmethod
    def load(self, dataset: Dataset, progress: ProgressCallback | None = None) -> None:
        """Merge a dataset into the graph; loading the same data again changes nothing."""

    @abstractmethod
    def counts(self) -> GraphCounts:
        """Return node counts by label and relationship counts by type."""

    @abstractmethod
    def clear(self) -> None:
        """Delete every node and relationship."""

    @abstractmethod
    def shared_identifiers(self, kinds: Sequence[str], max_members: int) -> SharedIdentifiers:
        """Return linkable identifiers of the given kinds carried by two or more different customers.

        Only customers count as carriers; an agent's own phone is not. Values
        flagged not linkable (a landline without area code) are left out.
        """

    @abstractmethod
    def customer_policies(self, customer_ids: Sequence[str]) -> pd.DataFrame:
        """Return the policies of the given customers with their roles (``MEMBER_POLICY_COLUMNS``)."""

    @abstractmethod
    def customer_details(self, customer_ids: Sequence[str]) -> pd.DataFrame:
        """Return name, gender, birth date and ID type of the given customers (``CUSTOMER_DETAIL_COLUMNS``)."""

    # The methods below serve the authenticity rules (graph.rules). Each returns
    # a frame with the named columns, sorted by the listed keys, so that every
    # store gives the same rows in the same order.

    def _not_implemented(self, method: str) -> NotImplementedError:
        return NotImplementedError(f"the {self.name} store does not implement {method}() yet")

    @abstractmethod
    def customer_identities(self) -> pd.DataFrame:
        """Return every customer's identity fields (``CUSTOMER_IDENTITY_COLUMNS``), sorted by customer.

        ``id_number`` is the normalised key (None when missing or unusable),
        ``id_problem`` the loader's problem code and ``id_flags`` its
        comma-separated flag codes ("" when none).
        """

    @abstractmethod
    def policy_parties(self) -> pd.DataFrame:
        """Return one row per (policy, customer, role) with the customer's key fields (``POLICY_PARTY_COLUMNS``).

        ``has_phone`` and ``has_address`` tell whether the customer has any
        phone or address identifier, linkable or not. Sorted by policy,
        customer and role.
        """

    @abstractmethod
    def agent_identifier_matches(self, kinds: Sequence[str]) -> pd.DataFrame:
        """Return customers whose identifier of the given kinds is also an agent's or an agent contact's.

        One row per (customer, kind, key, agent, contact) (``AGENT_MATCH_COLUMNS``).
        ``owner_type`` is ``agent`` for the agent's own identifier (then the
        contact columns are None) or ``agent_contact`` for one of the agent's
        registered contacts. Identifiers that are not linkable, or flagged
        ``placeholder`` on the customer's record, are left out.
        ``sold_to_customer`` is true when the customer has any role on a
        policy sold by the agent or, for an agency, by one of its agents
        (``agency_id``). ``customer_is_agent`` is true when the customer's and
        the agent's ID numbers are equal. Sorted by customer, agent, kind, key
        and contact.
        """

    @abstractmethod
    def agent_policyholders(self) -> pd.DataFrame:
        """Return policies whose policyholder has the selling agent's ID number (``AGENT_POLICYHOLDER_COLUMNS``).

        Sorted by agent, policy and customer.
        """

    @abstractmethod
    def premium_payers(self) -> pd.DataFrame:
        """Return every policy with a premium account, its payer and policyholders (``PREMIUM_PAYER_COLUMNS``).

        One row per (policy, policyholder); a policy without a policyholder
        role has one row with the policyholder columns None. The exception
        columns come from the payer exception for the same policy and premium
        account, None when there is none. Sorted by policy and policyholder.
        """

    @abstractmethod
    def verified_complaints(self) -> pd.DataFrame:
        """Return complaints marked verified (``VERIFIED_COMPLAINT_COLUMNS``), sorted by agent and complaint.

        Complaints not verified, or with no verified flag, are left out; the
        category is returned as recorded.
        """

    @abstractmethod
    def agents(self) -> pd.DataFrame:
        """Return every agent, bancassurance specialist and agency (``AGENT_SUMMARY_COLUMNS``), sorted by id."""

    @abstractmethod
    def agent_sales(self, agent_ids: Sequence[str]) -> pd.DataFrame:
        """Return the policies sold by the given agents with their customers (``AGENT_SALE_COLUMNS``).

        One row per (policy, customer, role); a policy without any role has
        one row with ``customer_id`` and ``role`` None. Sorted by agent,
        policy, customer and role.
        """

    # The methods below serve the HTTP API, one request at a time. Each reads
    # through an index on its lookup key instead of scanning the graph, and
    # returns tuples, because building a frame costs milliseconds per call.

    def prepare_lookups(self) -> None:  # noqa: B027  (optional hook: a store without lookup indexes needs none)
        """Build whatever the lookups below need, so that the first request does not wait for it."""

    def identifier_owners(self, kind: str, key: str) -> list[IdentifierOwner]:
        """Return every customer, agent and agent contact that carries one identifier.

        ``key`` is the normalised key that ``loaders.normalise`` gives, such as
        ``+8613912345678``. ``owner_type`` is ``customer``, ``agent`` or
        ``agent_contact``. A premium account is not an owner's identifier and
        is not returned. Sorted by owner type and owner id.
        """
        raise self._not_implemented("identifier_owners")

    def customer_identifiers(self, customer_ids: Sequence[str]) -> list[CustomerIdentifier]:
        """Return the identifiers of the given customers.

        One row per (customer, kind, key), with the cell text as read in
        ``value``. Sorted by customer, kind and key.
        """
        raise self._not_implemented("customer_identifiers")

    def close(self) -> None:  # noqa: B027  (optional hook: most stores hold no connection)
        """Release connections; the default store holds none."""
