"""Run detection on a store and publish its results to the registry, as ``kycgraph serve`` does at start-up."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from api.state import PublishSummary, StateDB
from graph.rules import run_rules
from graph.rules.shared_contacts import shared_contact_clusters
from graph.store import GraphStore
from kycgraph.settings import Settings


def detect_and_publish(
    store: GraphStore,
    settings: Settings,
    state: StateDB,
    *,
    as_of: date | None = None,
    link_kinds: Sequence[str] | None = None,
    hub_threshold: int | None = None,
) -> PublishSummary:
    """Run the shared-contact clusters and every finding rule, then publish all of it as one snapshot.

    ``as_of`` defaults to today; link kinds and the hub threshold default to the settings.
    """
    result = shared_contact_clusters(
        store, link_kinds=link_kinds or settings.link_kinds, hub_threshold=hub_threshold or settings.hub_threshold
    )
    findings = run_rules(store, settings, as_of or date.today())
    return state.publish_results(result.clusters, findings, result.hub_values)
