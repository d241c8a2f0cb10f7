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

import pandas as pd

from graph.model import Dataset

# Called with (step name, done, total) while a long step runs.
ProgressCallback = Callable[[str, int, int], None]

SHARED_COLUMNS = ["kind", "key", "customer_count", "flags"]
CARRIER_COLUMNS = ["kind", "key", "customer_id", "value"]
MEMBER_POLICY_COLUMNS = ["customer_id", "policy_no", "role", "agent_id", "channel", "product_name"]
CUSTOMER_DETAIL_COLUMNS = ["customer_id", "name", "gender", "birth_date", "id_type"]


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

    def close(self) -> None:  # noqa: B027  (optional hook: most stores hold no connection)
        """Release connections; the default store holds none."""
