"""The Neo4j store: the production graph store, on a Neo4j 5 server.

A load merges a :class:`~graph.model.Dataset` in batches of ``UNWIND $rows``
(``Settings.neo4j_batch_size`` rows per transaction). Every merge statement is
a constant string with one ``MERGE`` pattern: node statements first, then
relationship statements that ``MATCH`` both ends and ``MERGE`` the
relationship between them. One pattern per statement keeps the planner from
adding an ``Eager`` operator, which would hold a whole batch in memory.
Labels and relationship types cannot be query parameters, so each label or
type from the closed set in :mod:`graph.model` has its own statement.

A reloaded policy replaces its ``SOLD`` and ``PAID_FROM`` relationships, and
a reloaded complaint its ``AGAINST`` relationship, as the networkx store
replaces the row. Before they are merged, a correction statement per batch
deletes those whose agent or account differs from the row's, and the account
nodes that nothing refers to any more. Corrections are statements of their own
because Neo4j 5.26 plans ``MATCH ... DELETE`` with an ``Eager`` operator.

Each batch runs in a managed transaction (``Session.execute_write``), so the
driver retries transient errors such as a lost connection or a deadlock.
Every merge statement merges by a unique key, and a correction deletes only
what the rows replace, so running a load that failed part way again completes
it, with no duplicate and no lost row.

For the same data, every query method returns the same frame as
:class:`~graph.networkx_store.NetworkxStore`: the same columns, rows and
order, with None for missing values. One difference remains: a relationship
row whose end node is missing (a role on a policy that was never loaded) is
skipped with a warning.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, LiteralString

import pandas as pd
from neo4j import Driver, GraphDatabase, ManagedTransaction, NotificationDisabledClassification
from neo4j.exceptions import AuthError, DriverError, Neo4jError, ServiceUnavailable, SessionExpired
from neo4j.time import Date, DateTime, Time

from graph.model import (
    AGENT_COLUMNS,
    AGENT_CONTACT_COLUMNS,
    COMPLAINT_COLUMNS,
    CUSTOMER_COLUMNS,
    PAYER_EXCEPTION_COLUMNS,
    POLICY_COLUMNS,
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
from kycgraph.errors import StoreError, StoreUnavailableError
from kycgraph.settings import Settings

logger = logging.getLogger(__name__)

# Rows deleted per transaction by clear().
CLEAR_BATCH_SIZE = 10_000

# --- Schema ---------------------------------------------------------------

SCHEMA_STATEMENTS: tuple[LiteralString, ...] = (
    "CREATE CONSTRAINT customer_id_unique IF NOT EXISTS "
    "FOR (n:Customer) REQUIRE n.customer_id IS UNIQUE",
    "CREATE CONSTRAINT policy_no_unique IF NOT EXISTS FOR (n:Policy) REQUIRE n.policy_no IS UNIQUE",
    "CREATE CONSTRAINT agent_id_unique IF NOT EXISTS FOR (n:Agent) REQUIRE n.agent_id IS UNIQUE",
    "CREATE CONSTRAINT agent_contact_id_unique IF NOT EXISTS "
    "FOR (n:AgentContact) REQUIRE n.contact_id IS UNIQUE",
    "CREATE CONSTRAINT identifier_uid_unique IF NOT EXISTS FOR (n:Identifier) REQUIRE n.uid IS UNIQUE",
    # shared_identifiers() selects identifiers by kind.
    "CREATE INDEX identifier_kind IF NOT EXISTS FOR (n:Identifier) ON (n.kind)",
    # Investigators look up one normalised phone or account across kinds.
    "CREATE INDEX identifier_key IF NOT EXISTS FOR (n:Identifier) ON (n.key)",
    "CREATE CONSTRAINT complaint_id_unique IF NOT EXISTS FOR (n:Complaint) REQUIRE n.complaint_id IS UNIQUE",
    "CREATE CONSTRAINT payer_exception_id_unique IF NOT EXISTS "
    "FOR (n:PayerException) REQUIRE n.exception_id IS UNIQUE",
    "CREATE CONSTRAINT kycgraph_state_id_unique IF NOT EXISTS FOR (n:KycgraphState) REQUIRE n.id IS UNIQUE",
)
# The graph's data version: a random number on one KycgraphState node, replaced when a load starts and ends and
# after a clear, so that every process serving the graph can tell that it changed.
BUMP_DATA_VERSION: LiteralString = (
    "MERGE (s:KycgraphState {id: 1}) SET s.data_version = toInteger(rand() * 9007199254740991)"
)
READ_DATA_VERSION: LiteralString = "OPTIONAL MATCH (s:KycgraphState {id: 1}) RETURN s.data_version AS version"
# Seconds a store reuses the data version it read last, so that a busy HTTP API reads it about once a second.
DATA_VERSION_SECONDS = 1.0
# Seconds to wait for new indexes and constraints to come online.
SCHEMA_AWAIT_SECONDS = 300

# --- Load statements ---------------------------------------------------------
# Each takes $rows, a list of maps, and returns the number of rows it merged.

# Properties of each node label besides its key: the columns of its Dataset
# frame. They are listed one by one because `SET n += row` may write the key
# that MERGE reads, which makes the planner add an Eager operator.
CUSTOMER_PROPERTIES: tuple[LiteralString, ...] = (
    "name", "gender", "birth_date", "id_type", "id_number", "id_problem", "id_flags",
    "province", "city", "district", "source_file", "source_row",
)
POLICY_PROPERTIES: tuple[LiteralString, ...] = (
    "product_code", "product_name", "term_years", "application_date", "signed_date",
    "agent_id", "channel", "premium_account", "payer_name", "payer_id_number", "source_file", "source_row",
)
AGENT_PROPERTIES: tuple[LiteralString, ...] = (
    "name", "agent_type", "agency_id", "branch", "team", "id_number", "source_file", "source_row",
)
AGENT_CONTACT_PROPERTIES: tuple[LiteralString, ...] = ("agent_id", "contact_type", "name")


def _merge_node(label: LiteralString, key: LiteralString, properties: tuple[LiteralString, ...]) -> LiteralString:
    # Merge nodes by key and replace their properties: a property whose new
    # value is None is removed, as the networkx store replaces the whole row.
    assignments = ", ".join(["n." + name + " = row." + name for name in properties])
    return (
        "UNWIND $rows AS row MERGE (n:" + label + " {" + key + ": row." + key + "}) "
        "SET " + assignments + " RETURN count(*) AS merged"
    )


MERGE_CUSTOMERS = _merge_node("Customer", "customer_id", CUSTOMER_PROPERTIES)
MERGE_POLICIES = _merge_node("Policy", "policy_no", POLICY_PROPERTIES)
MERGE_AGENTS = _merge_node("Agent", "agent_id", AGENT_PROPERTIES)
MERGE_AGENT_CONTACTS = _merge_node("AgentContact", "contact_id", AGENT_CONTACT_PROPERTIES)
# Merge the bank accounts that policies pay premiums from; linkable and flags
# are left to the identifier rows of the account's owners.
MERGE_PREMIUM_ACCOUNTS: LiteralString = (
    "UNWIND $rows AS row MERGE (i:Identifier {uid: row.uid}) "
    "SET i:BankAccount, i.kind = row.kind, i.key = row.key RETURN count(*) AS merged"
)


def _merge_identifiers(kind_label: LiteralString) -> LiteralString:
    # Merge identifier nodes of one kind label, which cannot be a parameter.
    return (
        "UNWIND $rows AS row MERGE (i:Identifier {uid: row.uid}) "
        "SET i:" + kind_label + ", i.kind = row.kind, i.key = row.key, "
        "i.linkable = row.linkable, i.flags = row.flags RETURN count(*) AS merged"
    )


def _merge_link(
    source_match: LiteralString, target_match: LiteralString, relationship_type: LiteralString
) -> LiteralString:
    # Merge one relationship type between two existing nodes. Rows whose end
    # node is missing produce no relationship and are not counted in `merged`.
    return (
        "UNWIND $rows AS row " + source_match + " " + target_match + " "
        "MERGE (source)-[r:" + relationship_type + "]->(target) RETURN count(*) AS merged"
    )


def _merge_has_identifier(owner_match: LiteralString, relationship_type: LiteralString) -> LiteralString:
    # Merge an owner's HAS_* relationship to an identifier. The relationship
    # keeps the row's original cell text, linkable and flags, because the
    # networkx store filters and counts carriers row by row.
    return (
        "UNWIND $rows AS row " + owner_match + " MATCH (target:Identifier {uid: row.uid}) "
        "MERGE (source)-[r:" + relationship_type + "]->(target) "
        "SET r.value = row.value, r.linkable = row.linkable, r.flags = row.flags "
        "RETURN count(*) AS merged"
    )


_MATCH_CUSTOMER: LiteralString = "MATCH (source:Customer {customer_id: row.customer_id})"
_MATCH_POLICY_TARGET: LiteralString = "MATCH (target:Policy {policy_no: row.policy_no})"
_MATCH_POLICY_SOURCE: LiteralString = "MATCH (source:Policy {policy_no: row.policy_no})"
_MATCH_AGENT: LiteralString = "MATCH (source:Agent {agent_id: row.agent_id})"

# Kind label -> statement. The keys cover KIND_LABELS and OTHER_IDENTIFIER_LABEL.
MERGE_IDENTIFIERS: dict[str, LiteralString] = {
    "Phone": _merge_identifiers("Phone"),
    "BankAccount": _merge_identifiers("BankAccount"),
    "Address": _merge_identifiers("Address"),
    "Email": _merge_identifiers("Email"),
    "OtherIdentifier": _merge_identifiers("OtherIdentifier"),
}
# Relationship type of a policy role -> statement.
MERGE_ROLES: dict[str, LiteralString] = {
    "POLICYHOLDER_OF": _merge_link(_MATCH_CUSTOMER, _MATCH_POLICY_TARGET, "POLICYHOLDER_OF"),
    "INSURED_OF": _merge_link(_MATCH_CUSTOMER, _MATCH_POLICY_TARGET, "INSURED_OF"),
    "BENEFICIARY_OF": _merge_link(_MATCH_CUSTOMER, _MATCH_POLICY_TARGET, "BENEFICIARY_OF"),
}
MERGE_SOLD: LiteralString = _merge_link(_MATCH_AGENT, _MATCH_POLICY_TARGET, "SOLD")
MERGE_PAID_FROM: LiteralString = _merge_link(
    _MATCH_POLICY_SOURCE, "MATCH (target:Identifier {uid: row.uid})", "PAID_FROM"
)
MERGE_HAS_CONTACT: LiteralString = _merge_link(
    _MATCH_AGENT, "MATCH (target:AgentContact {contact_id: row.contact_id})", "HAS_CONTACT"
)

_OWNER_MATCHES: dict[str, LiteralString] = {
    "customer": "MATCH (source:Customer {customer_id: row.owner_id})",
    "agent": "MATCH (source:Agent {agent_id: row.owner_id})",
    "agent_contact": "MATCH (source:AgentContact {contact_id: row.owner_id})",
}
_HAS_TYPES: tuple[LiteralString, ...] = (
    "HAS_PHONE", "HAS_BANK_ACCOUNT", "HAS_ADDRESS", "HAS_EMAIL", "HAS_IDENTIFIER",
)
# (owner type, relationship type) -> statement.
MERGE_HAS_IDENTIFIER: dict[tuple[str, str], LiteralString] = {
    (owner_type, relationship_type): _merge_has_identifier(owner_match, relationship_type)
    for owner_type, owner_match in _OWNER_MATCHES.items()
    for relationship_type in _HAS_TYPES
}

# Merge complaint nodes; the relationship (:Complaint)-[:AGAINST]->(:Agent) is
# merged by MERGE_AGAINST. Properties are the complaints frame's columns.
COMPLAINT_PROPERTIES: tuple[LiteralString, ...] = (
    "agent_id", "policy_no", "received_date", "category", "verified", "verified_date",
)
MERGE_COMPLAINTS = _merge_node("Complaint", "complaint_id", COMPLAINT_PROPERTIES)
# Merge approved third-party-payer exceptions, keyed by "policy_no/premium_account";
# the relationship (:PayerException)-[:EXEMPTS]->(:Policy) is merged by MERGE_EXEMPTS.
PAYER_EXCEPTION_PROPERTIES: tuple[LiteralString, ...] = (
    "policy_no", "premium_account", "approver", "reason", "expiry_date",
)
MERGE_PAYER_EXCEPTIONS = _merge_node("PayerException", "exception_id", PAYER_EXCEPTION_PROPERTIES)
MERGE_AGAINST: LiteralString = _merge_link(
    "MATCH (source:Complaint {complaint_id: row.complaint_id})", "MATCH (target:Agent {agent_id: row.agent_id})",
    "AGAINST",
)
MERGE_EXEMPTS: LiteralString = _merge_link(
    "MATCH (source:PayerException {exception_id: row.exception_id})", _MATCH_POLICY_TARGET, "EXEMPTS"
)

# --- Correction statements ---------------------------------------------------
# A reloaded row replaces the relationships of the old row, as the networkx
# store replaces the whole row. Each statement takes $rows of the load, one per
# node key, and returns the number of relationships it deleted. It deletes the
# relationships whose other end differs from the row, and all of them where the
# row names none. Neo4j 5.26 plans an Eager before each Delete, because a later
# row could match a relationship that an earlier row deleted. The Eager buffers
# only the rows that pass the filter: the stale relationships of one batch.


def _delete_stale_agent_link(pattern: LiteralString) -> LiteralString:
    # Delete the relationships `r` in `pattern` between a row's node and an
    # `agent` whose agent_id is not the row's.
    return (
        "UNWIND $rows AS row MATCH " + pattern + " "
        "WHERE row.agent_id IS NULL OR agent.agent_id <> row.agent_id "
        "DELETE r RETURN count(*) AS deleted"
    )


DELETE_STALE_SOLD = _delete_stale_agent_link("(:Policy {policy_no: row.policy_no})<-[r:SOLD]-(agent:Agent)")
DELETE_STALE_AGAINST = _delete_stale_agent_link(
    "(:Complaint {complaint_id: row.complaint_id})-[r:AGAINST]->(agent:Agent)"
)
# Delete a policy's PAID_FROM relationships to an account other than the
# row's uid, then the old account nodes that nothing refers to any more: no
# relationship, and no `linkable`, which only identifier rows set. The
# networkx store counts an account only while a row has it.
DELETE_STALE_PAID_FROM: LiteralString = """
UNWIND $rows AS row
MATCH (:Policy {policy_no: row.policy_no})-[r:PAID_FROM]->(account:Identifier)
WHERE row.uid IS NULL OR account.uid <> row.uid
DELETE r
WITH account, count(*) AS deleted
CALL (account) {
  WITH account
  WHERE account.linkable IS NULL AND NOT EXISTS { (account)--() }
  DELETE account
}
RETURN sum(deleted) AS deleted
"""
# Every correction statement load() may run, for plan checks.
DELETE_STALE_STATEMENTS: tuple[LiteralString, ...] = (DELETE_STALE_SOLD, DELETE_STALE_PAID_FROM, DELETE_STALE_AGAINST)

# Every MERGE statement load() may run, for the check that none plans an Eager.
LOAD_STATEMENTS: tuple[LiteralString, ...] = (
    MERGE_CUSTOMERS,
    MERGE_POLICIES,
    MERGE_AGENTS,
    MERGE_AGENT_CONTACTS,
    *MERGE_IDENTIFIERS.values(),
    MERGE_PREMIUM_ACCOUNTS,
    *MERGE_ROLES.values(),
    MERGE_SOLD,
    MERGE_PAID_FROM,
    MERGE_HAS_CONTACT,
    *MERGE_HAS_IDENTIFIER.values(),
    MERGE_COMPLAINTS,
    MERGE_PAYER_EXCEPTIONS,
    MERGE_AGAINST,
    MERGE_EXEMPTS,
)

# --- Read statements -----------------------------------------------------------

# Count nodes by label from the count store; the labels are those of GraphCounts.
COUNT_NODES: LiteralString = " UNION ALL ".join([
    "MATCH (n:Customer) RETURN 'Customer' AS name, count(n) AS n",
    "MATCH (n:Policy) RETURN 'Policy' AS name, count(n) AS n",
    "MATCH (n:Agent) RETURN 'Agent' AS name, count(n) AS n",
    "MATCH (n:AgentContact) RETURN 'AgentContact' AS name, count(n) AS n",
    "MATCH (n:Phone) RETURN 'Phone' AS name, count(n) AS n",
    "MATCH (n:BankAccount) RETURN 'BankAccount' AS name, count(n) AS n",
    "MATCH (n:Address) RETURN 'Address' AS name, count(n) AS n",
    "MATCH (n:Email) RETURN 'Email' AS name, count(n) AS n",
    "MATCH (n:OtherIdentifier) RETURN 'OtherIdentifier' AS name, count(n) AS n",
])
# Count relationships by type from the count store.
COUNT_RELATIONSHIPS: LiteralString = " UNION ALL ".join([
    "MATCH ()-[r:POLICYHOLDER_OF]->() RETURN 'POLICYHOLDER_OF' AS name, count(r) AS n",
    "MATCH ()-[r:INSURED_OF]->() RETURN 'INSURED_OF' AS name, count(r) AS n",
    "MATCH ()-[r:BENEFICIARY_OF]->() RETURN 'BENEFICIARY_OF' AS name, count(r) AS n",
    "MATCH ()-[r:SOLD]->() RETURN 'SOLD' AS name, count(r) AS n",
    "MATCH ()-[r:PAID_FROM]->() RETURN 'PAID_FROM' AS name, count(r) AS n",
    "MATCH ()-[r:HAS_CONTACT]->() RETURN 'HAS_CONTACT' AS name, count(r) AS n",
    "MATCH ()-[r:HAS_PHONE]->() RETURN 'HAS_PHONE' AS name, count(r) AS n",
    "MATCH ()-[r:HAS_BANK_ACCOUNT]->() RETURN 'HAS_BANK_ACCOUNT' AS name, count(r) AS n",
    "MATCH ()-[r:HAS_ADDRESS]->() RETURN 'HAS_ADDRESS' AS name, count(r) AS n",
    "MATCH ()-[r:HAS_EMAIL]->() RETURN 'HAS_EMAIL' AS name, count(r) AS n",
    "MATCH ()-[r:HAS_IDENTIFIER]->() RETURN 'HAS_IDENTIFIER' AS name, count(r) AS n",
])

# Delete up to $limit relationships, then (second statement) up to $limit
# nodes, so that no transaction grows with the size of the graph.
DELETE_RELATIONSHIPS: LiteralString = "MATCH ()-[r]->() WITH r LIMIT $limit DELETE r RETURN count(*) AS deleted"
DELETE_NODES: LiteralString = "MATCH (n) WITH n LIMIT $limit DETACH DELETE n RETURN count(*) AS deleted"

# Identifiers of the given kinds carried, through a linkable relationship, by
# two or more different customers; carriers only for those with at most
# $max_members customers. The degree check reads each node's stored degree
# and drops the many identifiers with a single owner before any expansion.
# Measured once on 100k synthetic customers (300k identifier rows, 7k shared
# phones and accounts) with Neo4j 5.26 on a 2-core machine, best of 4 runs.
# This shape took 0.76 s, starting from customers 1.14 s, dropping the degree
# check 1.55 s, and collecting carriers in the aggregation 1.64 s.
# The result is one record whose ``rows`` holds one list per identifier:
# [kind, key, customer_count, flags, carriers] (see _read_rows).
SHARED_IDENTIFIERS: LiteralString = """
MATCH (i:Identifier)
WHERE i.kind IN $kinds AND COUNT { (i)<--() } >= 2
MATCH (c:Customer)-[r]->(i)
WHERE r.linkable
WITH i, count(DISTINCT c) AS customer_count, collect(DISTINCT r.flags) AS flags
WHERE customer_count >= 2
WITH i, customer_count, flags,
     CASE WHEN customer_count <= $max_members
          THEN COLLECT { MATCH (c:Customer)-[r]->(i) WHERE r.linkable
                         RETURN [c.customer_id, r.value] }
          ELSE [] END AS carriers
RETURN collect([i.kind, i.key, customer_count, flags, carriers]) AS rows
"""
# The policy roles of the given customers with the policy's agent, channel and
# product, as one record whose ``rows`` holds one list per role: [customer_id,
# policy_no, relationship type, agent_id, channel, product_name].
CUSTOMER_POLICIES: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})-[r:POLICYHOLDER_OF|INSURED_OF|BENEFICIARY_OF]->(p:Policy)
RETURN collect([c.customer_id, p.policy_no, type(r), p.agent_id, p.channel, p.product_name]) AS rows
"""
# Name, gender, birth date and ID type of the given customers, as one record
# whose ``rows`` holds one list per customer in CUSTOMER_DETAIL_COLUMNS order.
CUSTOMER_DETAILS: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})
RETURN collect([c.customer_id, c.name, c.gender, c.birth_date, c.id_type]) AS rows
"""

# Who carries one identifier: customers, agents and agent contacts. The uid
# uniqueness constraint's index finds the identifier node without a scan.
IDENTIFIER_OWNERS: LiteralString = """
MATCH (i:Identifier {uid: $uid})<-[r:HAS_PHONE|HAS_BANK_ACCOUNT|HAS_ADDRESS|HAS_EMAIL|HAS_IDENTIFIER]-(o)
WHERE o:Customer OR o:Agent OR o:AgentContact
RETURN collect([
  CASE WHEN o:Customer THEN 'customer' WHEN o:Agent THEN 'agent' ELSE 'agent_contact' END,
  CASE WHEN o:Customer THEN o.customer_id WHEN o:Agent THEN o.agent_id ELSE o.contact_id END,
  CASE WHEN o:Customer THEN null ELSE o.agent_id END,
  CASE WHEN o:AgentContact THEN o.contact_type ELSE null END,
  r.linkable, r.flags]) AS rows
"""
# The identifiers of the given customers, found through the customer_id constraint's index.
CUSTOMER_IDENTIFIERS: LiteralString = """
UNWIND $ids AS id
MATCH (c:Customer {customer_id: id})-[r:HAS_PHONE|HAS_BANK_ACCOUNT|HAS_ADDRESS|HAS_EMAIL|HAS_IDENTIFIER]->(i:Identifier)
RETURN collect([c.customer_id, i.kind, i.key, r.value, r.linkable, r.flags]) AS rows
"""

# --- Authenticity-rule statements --------------------------------------------------
# Each returns the rows of one GraphStore method; the method sorts them as the
# networkx store does.

# Read the identity fields of every customer, for the resident-ID checks.
CUSTOMER_IDENTITIES: LiteralString = """
MATCH (c:Customer)
RETURN c.customer_id AS customer_id, c.name AS name, c.gender AS gender, c.birth_date AS birth_date,
       c.id_type AS id_type, c.id_number AS id_number, c.id_problem AS id_problem,
       coalesce(c.id_flags, '') AS id_flags
"""
# Read every customer's role on every policy, with the customer's key fields and
# whether any phone or address identifier is on record.
POLICY_PARTIES: LiteralString = """
MATCH (c:Customer)-[r:POLICYHOLDER_OF|INSURED_OF|BENEFICIARY_OF]->(p:Policy)
RETURN p.policy_no AS policy_no, c.customer_id AS customer_id, type(r) AS relationship_type,
       p.application_date AS application_date, p.agent_id AS agent_id, p.channel AS channel,
       c.name AS name, c.gender AS gender, c.birth_date AS birth_date, c.id_number AS id_number,
       c.id_problem AS id_problem,
       EXISTS { (c)-[:HAS_PHONE]->(:Identifier) } AS has_phone,
       EXISTS { (c)-[:HAS_ADDRESS]->(:Identifier) } AS has_address
"""
# Find customers' comparable identifiers of the given kinds that an agent, or a
# contact registered to an agent, also carries, and whether that agent (or, for an
# agency, one of its agents) sold the customer a policy.
AGENT_IDENTIFIER_MATCHES: LiteralString = """
MATCH (c:Customer)-[r]->(i:Identifier)
WHERE i.kind IN $kinds AND r.linkable AND NOT 'placeholder' IN split(coalesce(r.flags, ''), ',')
CALL (i) {
  MATCH (i)<--(a:Agent)
  RETURN a, null AS contact
  UNION
  MATCH (i)<--(contact:AgentContact)<-[:HAS_CONTACT]-(a:Agent)
  RETURN a, contact
}
RETURN c.customer_id AS customer_id, i.kind AS kind, i.key AS key, a.agent_id AS agent_id,
       CASE WHEN contact IS NULL THEN 'agent' ELSE 'agent_contact' END AS owner_type,
       contact.contact_id AS contact_id, contact.contact_type AS contact_type, contact.name AS contact_name,
       EXISTS {
         MATCH (c)-[:POLICYHOLDER_OF|INSURED_OF|BENEFICIARY_OF]->(:Policy)<-[:SOLD]-(seller:Agent)
         WHERE seller = a OR seller.agency_id = a.agent_id
       } AS sold_to_customer,
       c.id_number IS NOT NULL AND coalesce(c.id_number = a.id_number, false) AS customer_is_agent
"""
# Find policies whose policyholder has the ID number of the agent who sold them.
AGENT_POLICYHOLDERS: LiteralString = """
MATCH (a:Agent)-[:SOLD]->(p:Policy)<-[:POLICYHOLDER_OF]-(c:Customer)
WHERE c.id_number IS NOT NULL AND c.id_number = a.id_number
RETURN a.agent_id AS agent_id, p.policy_no AS policy_no, c.customer_id AS customer_id, p.channel AS channel
"""
# Read every policy with a premium account, each of its policyholders, and the
# payer exception for that policy and account.
PREMIUM_PAYERS: LiteralString = """
MATCH (p:Policy)
WHERE p.premium_account IS NOT NULL
OPTIONAL MATCH (c:Customer)-[:POLICYHOLDER_OF]->(p)
OPTIONAL MATCH (e:PayerException)-[:EXEMPTS]->(p)
WHERE e.premium_account = p.premium_account
RETURN p.policy_no AS policy_no, p.agent_id AS agent_id, p.channel AS channel,
       p.premium_account AS premium_account, p.payer_name AS payer_name, p.payer_id_number AS payer_id_number,
       c.customer_id AS policyholder_id, c.name AS policyholder_name, c.id_number AS policyholder_id_number,
       e.approver AS exception_approver, e.reason AS exception_reason, e.expiry_date AS exception_expiry_date
"""
# Read the complaints marked verified, with the agent each one is against.
VERIFIED_COMPLAINTS: LiteralString = """
MATCH (k:Complaint)-[:AGAINST]->(a:Agent)
WHERE k.verified = true
RETURN k.complaint_id AS complaint_id, a.agent_id AS agent_id, k.policy_no AS policy_no,
       k.category AS category, k.received_date AS received_date, k.verified_date AS verified_date
"""
# Read every agent, bancassurance specialist and agency.
AGENTS: LiteralString = """
MATCH (a:Agent)
RETURN a.agent_id AS agent_id, a.name AS name, a.agent_type AS agent_type, a.agency_id AS agency_id
"""
# Read the policies that the given agents sold, with every customer's role on them.
AGENT_SALES: LiteralString = """
UNWIND $ids AS id
MATCH (a:Agent {agent_id: id})-[:SOLD]->(p:Policy)
OPTIONAL MATCH (c:Customer)-[r:POLICYHOLDER_OF|INSURED_OF|BENEFICIARY_OF]->(p)
RETURN a.agent_id AS agent_id, p.policy_no AS policy_no, p.product_name AS product_name, p.channel AS channel,
       p.application_date AS application_date, p.signed_date AS signed_date,
       c.customer_id AS customer_id, type(r) AS relationship_type
"""

_ROLES_BY_RELATIONSHIP = {relationship: role for role, relationship in ROLE_RELATIONSHIPS.items()}


@dataclass(frozen=True)
class _LoadStep:
    """One load statement and the rows it merges, sent in batches.

    A step with ``deletes`` runs a correction statement, which returns
    ``deleted`` in place of ``merged``.
    """

    name: str
    statement: LiteralString
    rows: list[dict[str, Any]]
    deletes: bool = False


class Neo4jStore(GraphStore):
    """Graph store on a Neo4j 5 server; one driver per store, one session per operation."""

    name = "neo4j"

    def __init__(
        self,
        uri: str,
        user: str,
        password: str,
        *,
        database: str = "neo4j",
        batch_size: int = 5000,
        max_transaction_retry_time: float = 30.0,
    ) -> None:
        """Create the driver; no connection is opened until the first operation.

        Args:
            uri: Bolt URI of the server (``bolt://127.0.0.1:7687``).
            user: user name.
            password: password; never logged or shown in messages.
            database: database name.
            batch_size: rows per load transaction.
            max_transaction_retry_time: seconds the driver keeps retrying a
                transaction that failed with a transient error.
        """
        if batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, got {batch_size!r}")
        self.uri = uri
        self.user = user
        self.database = database
        self.batch_size = batch_size
        # Neo4j 5.26 sends an UNRECOGNIZED warning for each label, relationship
        # type or property key that a query names and the database has never
        # stored. The store's fixed queries name the whole model, so a database
        # that never held agents or complaints would log warnings on every read.
        # Other notifications, such as deprecations, still reach the
        # neo4j.notifications logger.
        self._driver: Driver = GraphDatabase.driver(
            uri,
            auth=(user, password),
            max_transaction_retry_time=max_transaction_retry_time,
            notifications_disabled_classifications=[NotificationDisabledClassification.UNRECOGNIZED],
        )
        self._schema_ready = False
        # (time.monotonic() of the read, the version read); None until the first read and after a change here.
        self._version_read: tuple[float, int | None] | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Neo4jStore:
        """Create a store from ``NEO4J_URI``, ``NEO4J_USER``, ``NEO4J_PASSWORD``, ``NEO4J_DATABASE``."""
        return cls(
            settings.neo4j_uri,
            settings.neo4j_user,
            settings.neo4j_password,
            database=settings.neo4j_database,
            batch_size=settings.neo4j_batch_size,
        )

    def verify(self) -> None:
        """Open a connection to check that the server is reachable and accepts the credentials.

        Raises:
            StoreUnavailableError: the server cannot be reached or rejects the
                user name or password.
        """
        try:
            self._driver.verify_connectivity()
        except AuthError as exc:
            raise StoreUnavailableError(
                f"Neo4j at {self.uri} rejected the user name or password of user {self.user!r}. "
                "Set NEO4J_USER and NEO4J_PASSWORD to the server's credentials."
            ) from exc
        except (ServiceUnavailable, SessionExpired, OSError) as exc:
            raise StoreUnavailableError(self._unavailable_message()) from exc

    def close(self) -> None:
        """Close the driver and its connections; the store cannot be used afterwards."""
        self._driver.close()

    def _unavailable_message(self) -> str:
        return (
            f"Neo4j is unreachable at {self.uri}. Start the local server with "
            "`server/neo4jctl start`, or set NEO4J_URI to a running server."
        )

    @contextmanager
    def _translate_errors(self, operation: str) -> Iterator[None]:
        # Raise kycgraph's store errors in place of driver errors. The message
        # names the Neo4j error code only, because a server message can quote
        # a property value such as a phone number.
        try:
            yield
        except (ServiceUnavailable, SessionExpired) as exc:
            raise StoreUnavailableError(f"{operation} failed: {self._unavailable_message()}") from exc
        except Neo4jError as exc:
            raise StoreError(f"{operation} failed in Neo4j at {self.uri} with error {exc.code}.") from exc
        except DriverError as exc:
            raise StoreError(f"{operation} failed in the Neo4j driver: {type(exc).__name__}.") from exc

    def _write(self, statement: LiteralString, **parameters: Any) -> list[dict[str, Any]]:
        """Run one statement in a managed write transaction and return its records as dicts."""
        return self._execute(statement, parameters, write=True)

    def _read(self, statement: LiteralString, **parameters: Any) -> list[dict[str, Any]]:
        """Run one statement in a managed read transaction and return its records as dicts."""
        return self._execute(statement, parameters, write=False)

    def _read_rows(self, statement: LiteralString, **parameters: Any) -> list[list[Any]]:
        """Run a read statement that returns one record with a ``rows`` list, and return that list.

        The statement runs in a managed read transaction. The lists come as the
        driver decoded them, without ``Record.data()``. One record carrying
        every row is one Bolt message, where a record per row costs the driver
        a message each: for 3,001 customers, ``CUSTOMER_DETAILS`` took 0.04 s
        this way against 0.15 s with one record per row, plus 0.06 s for
        ``Record.data()`` (Neo4j 5.26, driver 6.4.1, 2 shared cores). The
        server builds the whole list in memory before sending it.
        """
        def work(tx: ManagedTransaction) -> list[list[Any]]:
            rows: list[list[Any]] = tx.run(statement, parameters).single(strict=True)["rows"]
            return rows

        logger.debug("cypher read: %s", " ".join(statement.split()))
        with self._driver.session(database=self.database) as session:
            return session.execute_read(work)

    def _execute(self, statement: LiteralString, parameters: dict[str, Any], *, write: bool) -> list[dict[str, Any]]:
        # The driver retries the transaction function on transient errors, so
        # it must only run the statement and read the result.
        def work(tx: ManagedTransaction) -> list[dict[str, Any]]:
            return [record.data() for record in tx.run(statement, parameters)]

        logger.debug("cypher %s: %s", "write" if write else "read", " ".join(statement.split()))
        with self._driver.session(database=self.database) as session:
            return session.execute_write(work) if write else session.execute_read(work)

    def ensure_schema(self) -> None:
        """Create the uniqueness constraints and indexes if missing, and wait until they are online.

        Idempotent: existing constraints and indexes are left as they are.
        """
        with self._translate_errors("Creating the Neo4j schema"):
            for statement in SCHEMA_STATEMENTS:
                self._write(statement)
            with self._driver.session(database=self.database) as session:
                session.run("CALL db.awaitIndexes($seconds)", seconds=SCHEMA_AWAIT_SECONDS).consume()
        self._schema_ready = True

    def load(self, dataset: Dataset, progress: ProgressCallback | None = None) -> None:
        """Merge a dataset into the graph in batches; loading the same data again changes nothing.

        Creates the schema first if this store has not done so yet. After
        each committed batch, ``progress("load", batches_done, batches_total)``
        is called. If the load stops part way (a failed batch, or an
        exception from ``progress``), the committed batches stay and running
        the same load again completes it without duplicates.

        Raises:
            StoreUnavailableError: the server cannot be reached, also after
                the driver's retries.
            StoreError: Neo4j rejected a statement, or the dataset contains an
                owner type or policy role outside the graph model.
        """
        steps = _load_steps(dataset)
        if not self._schema_ready:
            self.ensure_schema()
        with self._translate_errors("Loading into Neo4j"):
            self._bump_data_version()
            before = self._count_totals()
            logger.info("neo4j store before load: %d nodes, %d relationships", *before)
            total = sum(math.ceil(len(step.rows) / self.batch_size) for step in steps)
            done = 0
            for step in steps:
                counted = 0
                for start in range(0, len(step.rows), self.batch_size):
                    batch = step.rows[start:start + self.batch_size]
                    records = self._write(step.statement, rows=batch)
                    if records:
                        counted += int(records[0]["deleted"] if step.deletes else records[0]["merged"])
                    done += 1
                    if progress is not None:
                        progress("load", done, total)
                if step.deletes:
                    if counted:
                        logger.info("neo4j load step %s: deleted %d relationships that reloaded rows replace",
                                    step.name, counted)
                elif counted < len(step.rows):
                    logger.warning(
                        "neo4j load step %s: %d of %d rows merged nothing because an end node is missing",
                        step.name, len(step.rows) - counted, len(step.rows),
                    )
            after = self._count_totals()
            self._bump_data_version()
        logger.info("neo4j store after load: %d nodes, %d relationships", *after)

    def data_version(self) -> int | None:
        """Return the graph's data version, reusing the last one read for ``DATA_VERSION_SECONDS``.

        Every load and clear through a ``Neo4jStore``, in any process,
        replaces the version, and this store returns the new one within a
        second. Changes written to the graph by other means do not change it.
        Returns None for a graph that no ``Neo4jStore`` has loaded or cleared.

        Raises:
            StoreUnavailableError: the server cannot be reached.
        """
        read = self._version_read
        now = time.monotonic()
        if read is not None and now - read[0] < DATA_VERSION_SECONDS:
            return read[1]
        with self._translate_errors("Reading the graph's data version from Neo4j"):
            version = self._read(READ_DATA_VERSION)[0]["version"]
        self._version_read = (now, None if version is None else int(version))
        return self._version_read[1]

    def _bump_data_version(self) -> None:
        self._write(BUMP_DATA_VERSION)
        self._version_read = None

    def _count_totals(self) -> tuple[int, int]:
        counts = self._counts()
        return counts.total_nodes, counts.total_relationships

    def counts(self) -> GraphCounts:
        with self._translate_errors("Counting Neo4j nodes and relationships"):
            return self._counts()

    def _counts(self) -> GraphCounts:
        nodes = {str(r["name"]): int(r["n"]) for r in self._read(COUNT_NODES)}
        relationships = {str(r["name"]): int(r["n"]) for r in self._read(COUNT_RELATIONSHIPS)}
        return GraphCounts(
            nodes={k: v for k, v in nodes.items() if v},
            relationships={k: v for k, v in relationships.items() if v},
        )

    def clear(self) -> None:
        """Delete every node and relationship, at most ``CLEAR_BATCH_SIZE`` per transaction; the schema stays."""
        with self._translate_errors("Clearing Neo4j"):
            for statement in (DELETE_RELATIONSHIPS, DELETE_NODES):
                while int(self._write(statement, limit=CLEAR_BATCH_SIZE)[0]["deleted"]) > 0:
                    pass
            self._bump_data_version()

    def shared_identifiers(self, kinds: Sequence[str], max_members: int) -> SharedIdentifiers:
        kind_list = list(dict.fromkeys(kinds))
        with self._translate_errors("Finding shared identifiers in Neo4j"):
            rows = self._read_rows(SHARED_IDENTIFIERS, kinds=kind_list, max_members=max_members)

        shared = pd.DataFrame.from_records(
            [(kind, key, int(count), _union_flags(flags)) for kind, key, count, flags, _ in rows],
            columns=SHARED_COLUMNS,
        )
        # The dtypes of the networkx store's frame: text columns str, the count int64.
        shared = shared.astype({"kind": str, "key": str, "customer_count": "int64", "flags": str})
        shared = shared.sort_values(["kind", "key"], ignore_index=True)
        carriers = pd.DataFrame.from_records(
            [
                (kind, key, customer_id, value)
                for kind, key, _, _, carriers in rows
                for customer_id, value in carriers
            ],
            columns=CARRIER_COLUMNS,
        ).astype(object)
        carriers = carriers.sort_values(["kind", "key", "customer_id"], ignore_index=True)
        return SharedIdentifiers(shared, carriers)

    def customer_policies(self, customer_ids: Sequence[str]) -> pd.DataFrame:
        ids = list(dict.fromkeys(customer_ids))
        with self._translate_errors("Reading customer policies from Neo4j"):
            rows = self._read_rows(CUSTOMER_POLICIES, ids=ids)
        policies = [
            (customer_id, policy_no, _ROLES_BY_RELATIONSHIP[relationship_type],
             _native(agent_id), _native(channel), _native(product_name))
            for customer_id, policy_no, relationship_type, agent_id, channel, product_name in rows
        ]
        frame = pd.DataFrame.from_records(policies, columns=MEMBER_POLICY_COLUMNS).astype(object)
        frame = frame.where(frame.notna(), None)
        return frame.sort_values(["customer_id", "policy_no", "role"], ignore_index=True)

    def customer_details(self, customer_ids: Sequence[str]) -> pd.DataFrame:
        ids = list(dict.fromkeys(customer_ids))
        with self._translate_errors("Reading customer details from Neo4j"):
            rows = self._read_rows(CUSTOMER_DETAILS, ids=ids)
        details = [[_native(value) for value in row] for row in rows]
        frame = pd.DataFrame.from_records(details, columns=CUSTOMER_DETAIL_COLUMNS).astype(object)
        frame = frame.where(frame.notna(), None)
        return frame.sort_values("customer_id", ignore_index=True)

    def identifier_owners(self, kind: str, key: str) -> list[IdentifierOwner]:
        with self._translate_errors("Looking up an identifier's owners in Neo4j"):
            rows = self._read_rows(IDENTIFIER_OWNERS, uid=identifier_uid(kind, key))
        owners = [IdentifierOwner(owner_type, owner_id, agent_id, contact_type, bool(linkable), flags or "")
                  for owner_type, owner_id, agent_id, contact_type, linkable, flags in rows]
        return sorted(owners, key=lambda owner: (owner.owner_type, owner.owner_id))

    def customer_identifiers(self, customer_ids: Sequence[str]) -> list[CustomerIdentifier]:
        ids = list(dict.fromkeys(str(c) for c in customer_ids))
        with self._translate_errors("Reading customer identifiers from Neo4j"):
            rows = self._read_rows(CUSTOMER_IDENTIFIERS, ids=ids)
        identifiers = [CustomerIdentifier(customer_id, kind, key, value or "", bool(linkable), flags or "")
                       for customer_id, kind, key, value, linkable, flags in rows]
        return sorted(identifiers, key=lambda row: (row.customer_id, row.kind, row.key))

    # --- Queries of the authenticity rules (graph.rules) ---

    def customer_identities(self) -> pd.DataFrame:
        return self._rule_frame("Reading customer identities", CUSTOMER_IDENTITIES, CUSTOMER_IDENTITY_COLUMNS,
                                ["customer_id"])

    def policy_parties(self) -> pd.DataFrame:
        return self._rule_frame("Reading policy parties", POLICY_PARTIES, POLICY_PARTY_COLUMNS,
                                ["policy_no", "customer_id", "role"])

    def agent_identifier_matches(self, kinds: Sequence[str]) -> pd.DataFrame:
        return self._rule_frame(
            "Matching customer identifiers with agents", AGENT_IDENTIFIER_MATCHES, AGENT_MATCH_COLUMNS,
            ["customer_id", "agent_id", "kind", "key", "contact_id"], kinds=list(dict.fromkeys(kinds)),
        )

    def agent_policyholders(self) -> pd.DataFrame:
        return self._rule_frame("Reading agents' own policies", AGENT_POLICYHOLDERS, AGENT_POLICYHOLDER_COLUMNS,
                                ["agent_id", "policy_no", "customer_id"])

    def premium_payers(self) -> pd.DataFrame:
        return self._rule_frame("Reading premium payers", PREMIUM_PAYERS, PREMIUM_PAYER_COLUMNS,
                                ["policy_no", "policyholder_id"])

    def verified_complaints(self) -> pd.DataFrame:
        return self._rule_frame("Reading verified complaints", VERIFIED_COMPLAINTS, VERIFIED_COMPLAINT_COLUMNS,
                                ["agent_id", "complaint_id"])

    def agents(self) -> pd.DataFrame:
        return self._rule_frame("Reading agents", AGENTS, AGENT_SUMMARY_COLUMNS, ["agent_id"])

    def agent_sales(self, agent_ids: Sequence[str]) -> pd.DataFrame:
        return self._rule_frame("Reading agents' sales", AGENT_SALES, AGENT_SALE_COLUMNS,
                                ["agent_id", "policy_no", "customer_id", "role"], ids=list(dict.fromkeys(agent_ids)))

    def _rule_frame(
        self, operation: str, statement: LiteralString, columns: list[str], keys: list[str], **parameters: Any
    ) -> pd.DataFrame:
        """Run one read statement and return its records as a frame sorted like the networkx store's.

        A ``relationship_type`` column becomes ``role`` (None where the
        statement found no role), and Neo4j dates become ``datetime.date``.
        """
        with self._translate_errors(f"{operation} from Neo4j"):
            records = self._read(statement, **parameters)
        rows: list[dict[str, Any]] = []
        for record in records:
            row = {key: _native(value) for key, value in record.items()}
            if "relationship_type" in row:
                relationship = row.pop("relationship_type")
                row["role"] = None if relationship is None else _ROLES_BY_RELATIONSHIP[str(relationship)]
            rows.append(row)
        return tidy_frame(pd.DataFrame(rows, columns=columns), columns, keys)


# --- Row preparation -------------------------------------------------------------


def _load_steps(dataset: Dataset) -> list[_LoadStep]:
    """Turn a dataset into load steps: node statements first, then relationship statements.

    Rows are deduplicated by the keys the networkx store uses, keeping the
    last row, so no batch merges the same key twice.
    """
    # 1. Nodes with their own key.
    customers = _dedupe(dataset.customers, ["customer_id"])
    policies = _dedupe(dataset.policies, ["policy_no"])
    agents = _dedupe(dataset.agents, ["agent_id"])
    contacts = _dedupe(dataset.agent_contacts, ["contact_id"])
    steps = [
        _LoadStep("customers", MERGE_CUSTOMERS, _records(customers, CUSTOMER_COLUMNS)),
        _LoadStep("policies", MERGE_POLICIES, _records(policies, POLICY_COLUMNS)),
        _LoadStep("agents", MERGE_AGENTS, _records(agents, AGENT_COLUMNS)),
        _LoadStep("agent contacts", MERGE_AGENT_CONTACTS, _records(contacts, AGENT_CONTACT_COLUMNS)),
    ]

    # 2. Identifier nodes, one statement per kind label, and premium accounts.
    identifiers = _identifier_rows(dataset.identifiers)
    nodes = _dedupe(identifiers, ["uid"])
    nodes = nodes.assign(label=nodes["kind"].map(lambda kind: kind_label(str(kind))))
    for label, statement in MERGE_IDENTIFIERS.items():
        rows = _records(nodes[nodes["label"] == label], ["uid", "kind", "key", "linkable", "flags"])
        steps.append(_LoadStep(f"{label} nodes", statement, rows))
    # Stale PAID_FROM relationships go before the premium accounts, because
    # deleting them deletes old account nodes that this load may merge again.
    paid_from_rows = [
        {"policy_no": row["policy_no"], "uid": _premium_account_uid(row["premium_account"])}
        for row in _records(policies, ["policy_no", "premium_account"])
    ]
    steps.append(_LoadStep("stale PAID_FROM", DELETE_STALE_PAID_FROM, paid_from_rows, deletes=True))
    accounts = policies[policies["premium_account"].notna()]
    account_rows = [
        {"uid": identifier_uid("bank_account", key), "kind": "bank_account", "key": key}
        for key in dict.fromkeys(str(v) for v in accounts["premium_account"])
    ]
    steps.append(_LoadStep("premium accounts", MERGE_PREMIUM_ACCOUNTS, account_rows))

    # 3. Relationships between nodes merged above.
    roles = _dedupe(dataset.policy_roles, ["policy_no", "customer_id", "role"])
    unknown_roles = sorted(set(roles["role"].astype(str)) - set(ROLE_RELATIONSHIPS))
    if unknown_roles:
        raise StoreError(
            f"policy_roles contains invalid roles: {', '.join(unknown_roles)}. "
            f"Expected one of: {', '.join(ROLE_RELATIONSHIPS)}."
        )
    for role, relationship_type in ROLE_RELATIONSHIPS.items():
        rows = _records(roles[roles["role"] == role], ["policy_no", "customer_id"])
        steps.append(_LoadStep(relationship_type, MERGE_ROLES[relationship_type], rows))
    sold_rows = _records(policies, ["policy_no", "agent_id"])
    steps.append(_LoadStep("stale SOLD", DELETE_STALE_SOLD, sold_rows, deletes=True))
    steps.append(_LoadStep("SOLD", MERGE_SOLD, [row for row in sold_rows if row["agent_id"] is not None]))
    paid_from = [row for row in paid_from_rows if row["uid"] is not None]
    steps.append(_LoadStep("PAID_FROM", MERGE_PAID_FROM, paid_from))
    with_agent = contacts[contacts["agent_id"].notna()]
    steps.append(_LoadStep("HAS_CONTACT", MERGE_HAS_CONTACT, _records(with_agent, ["agent_id", "contact_id"])))

    # 4. Owners' HAS_* relationships to identifiers, one statement per owner label and type.
    unknown_owners = sorted(set(identifiers["owner_type"].astype(str)) - set(_OWNER_MATCHES))
    if unknown_owners:
        raise StoreError(
            f"identifiers contains invalid owner types: {', '.join(unknown_owners)}. "
            f"Expected one of: {', '.join(_OWNER_MATCHES)}."
        )
    identifiers = identifiers.assign(
        relationship_type=identifiers["kind"].map(lambda kind: kind_relationship(str(kind)))
    )
    for (owner_type, relationship_type), statement in MERGE_HAS_IDENTIFIER.items():
        selected = identifiers[
            (identifiers["owner_type"] == owner_type) & (identifiers["relationship_type"] == relationship_type)
        ]
        rows = _records(selected, ["owner_id", "uid", "value", "linkable", "flags"])
        steps.append(_LoadStep(f"{owner_type} {relationship_type}", statement, rows))
    steps += _rule_steps(dataset)
    return [step for step in steps if step.rows]


def _rule_steps(dataset: Dataset) -> list[_LoadStep]:
    """Return the load steps of complaints and payer exceptions, which the authenticity rules read.

    They run after every other step, because their relationships end at
    agent and policy nodes.
    """
    complaints = _dedupe(dataset.complaints, ["complaint_id"])
    exceptions = _dedupe(dataset.payer_exceptions, ["policy_no", "premium_account"])
    exception_rows = [
        {**row, "exception_id": f"{row['policy_no']}/{row['premium_account']}"}
        for row in _records(exceptions, PAYER_EXCEPTION_COLUMNS)
    ]
    exempts = [{"exception_id": row["exception_id"], "policy_no": row["policy_no"]} for row in exception_rows]
    against_rows = _records(complaints, ["complaint_id", "agent_id"])
    return [
        _LoadStep("complaints", MERGE_COMPLAINTS, _records(complaints, COMPLAINT_COLUMNS)),
        _LoadStep("payer exceptions", MERGE_PAYER_EXCEPTIONS, exception_rows),
        _LoadStep("stale AGAINST", DELETE_STALE_AGAINST, against_rows, deletes=True),
        _LoadStep("AGAINST", MERGE_AGAINST, against_rows),
        _LoadStep("EXEMPTS", MERGE_EXEMPTS, exempts),
    ]


def _identifier_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Deduplicate identifier rows by owner and key, and add ``uid``.

    ``linkable`` and ``flags`` are turned into the values that the networkx
    store's ``shared_identifiers`` reads: ``bool(linkable)``, and flags as
    text with None as "".
    """
    rows = _dedupe(frame, ["owner_type", "owner_id", "kind", "key"])
    return rows.assign(
        uid=[identifier_uid(str(kind), str(key)) for kind, key in zip(rows["kind"], rows["key"], strict=True)],
        linkable=rows["linkable"].astype(bool),
        flags=[str(flags or "") for flags in rows["flags"]],
    )


def _premium_account_uid(premium_account: object) -> str | None:
    """Return the uid of a policy's premium account node, or None for a policy without one."""
    return None if premium_account is None else identifier_uid("bank_account", str(premium_account))


def _dedupe(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    return frame.drop_duplicates(subset=keys, keep="last", ignore_index=True)


def _records(frame: pd.DataFrame, columns: list[str]) -> list[dict[str, Any]]:
    """Return the given columns of a frame as parameter maps, with Python values and None for missing.

    ``astype(object)`` turns numpy scalars into Python ones, and NaN, NaT and
    NA become None. Zipping column lists is several times faster than
    ``to_dict("records")``, which boxes each value separately.
    """
    names = [c for c in columns if c in frame.columns]
    present = frame[names].astype(object)
    present = present.where(present.notna(), None)
    values = [present[name].tolist() for name in names]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def _native(value: object) -> object:
    """Return the Python value of a Neo4j temporal value (``neo4j.time.Date`` -> ``datetime.date``)."""
    if isinstance(value, Date | DateTime | Time):
        return value.to_native()
    return value


def _union_flags(flag_texts: Sequence[str | None]) -> str:
    """Return the sorted union of comma-separated flag codes, as the networkx store builds it."""
    return ",".join(sorted({f for text in flag_texts for f in str(text or "").split(",") if f}))
