"""The graph data model shared by every store.

Nodes (label: key property):

- ``Customer``: ``customer_id``; name, gender, birth date, ID document.
- ``Policy``: ``policy_no``; product, dates, channel.
- ``Agent``: ``agent_id``; individual agent, bancassurance specialist or agency.
- ``AgentContact``: ``contact_id``; a registered relative, agency office or
  agency staff member of an agent.
- ``Identifier``: ``uid`` (``kind:key``), with a second label by kind:
  ``Phone``, ``BankAccount``, ``Address``, ``Email``, or ``OtherIdentifier``
  for kinds declared in a mapping file (device id, IP address).
- ``Complaint``: ``complaint_id``; category, verification outcome and date.
- ``PayerException``: ``exception_id``; an approved exception that allows a
  policy's premiums to come from an account not held by the policyholder.

Relationships:

- ``(Customer)-[:POLICYHOLDER_OF|INSURED_OF|BENEFICIARY_OF]->(Policy)``
- ``(Agent)-[:SOLD]->(Policy)``
- ``(Policy)-[:PAID_FROM]->(Identifier:BankAccount)``
- ``(Customer|Agent|AgentContact)-[:HAS_PHONE|HAS_BANK_ACCOUNT|HAS_ADDRESS|HAS_EMAIL|HAS_IDENTIFIER]->(Identifier)``
- ``(Agent)-[:HAS_CONTACT]->(AgentContact)``
- ``(Complaint)-[:AGAINST]->(Agent)``
- ``(PayerException)-[:EXEMPTS]->(Policy)``

The networkx store keeps complaints and payer exceptions as frames only;
``counts()`` on either store does not count them.

An identifier node carries ``linkable``: false for values that must never join
customers (a landline without area code).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

ROLE_RELATIONSHIPS: dict[str, str] = {
    "policyholder": "POLICYHOLDER_OF",
    "insured": "INSURED_OF",
    "beneficiary": "BENEFICIARY_OF",
}

KIND_LABELS: dict[str, str] = {
    "phone": "Phone",
    "bank_account": "BankAccount",
    "address": "Address",
    "email": "Email",
}
OTHER_IDENTIFIER_LABEL = "OtherIdentifier"

KIND_RELATIONSHIPS: dict[str, str] = {
    "phone": "HAS_PHONE",
    "bank_account": "HAS_BANK_ACCOUNT",
    "address": "HAS_ADDRESS",
    "email": "HAS_EMAIL",
}
OTHER_IDENTIFIER_RELATIONSHIP = "HAS_IDENTIFIER"


def identifier_uid(kind: str, key: str) -> str:
    """Return the unique node key of an identifier: its kind and normalised key."""
    return f"{kind}:{key}"


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, OTHER_IDENTIFIER_LABEL)


def kind_relationship(kind: str) -> str:
    return KIND_RELATIONSHIPS.get(kind, OTHER_IDENTIFIER_RELATIONSHIP)


# Column lists of the Dataset frames, in order. Missing values are None.
CUSTOMER_COLUMNS = [
    "customer_id", "name", "gender", "birth_date", "id_type", "id_number", "id_problem", "id_flags",
    "province", "city", "district", "source_file", "source_row",
]
IDENTIFIER_COLUMNS = [
    "owner_type", "owner_id", "kind", "key", "value", "linkable", "flags", "extension",
    "source_file", "source_row", "column",
]
POLICY_COLUMNS = [
    "policy_no", "product_code", "product_name", "term_years", "application_date", "signed_date",
    "agent_id", "channel", "premium_account", "payer_name", "payer_id_number",
    "source_file", "source_row",
]
POLICY_ROLE_COLUMNS = ["policy_no", "customer_id", "role"]
AGENT_COLUMNS = [
    "agent_id", "name", "agent_type", "agency_id", "branch", "team", "id_number",
    "source_file", "source_row",
]
AGENT_CONTACT_COLUMNS = ["contact_id", "agent_id", "contact_type", "name"]
COMPLAINT_COLUMNS = ["complaint_id", "agent_id", "policy_no", "received_date", "category", "verified",
                     "verified_date"]
PAYER_EXCEPTION_COLUMNS = ["policy_no", "premium_account", "approver", "reason", "expiry_date"]

# Owner types of identifier rows.
OWNER_TYPES = ("customer", "agent", "agent_contact")


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


@dataclass
class Dataset:
    """One export after reading, mapping, normalisation and validation.

    Every frame holds loaded rows only; rejected rows are in the load report.
    ``identifiers`` is long: one row per (owner, kind, key), so a customer with
    a phone and a bank account has two rows.
    """

    customers: pd.DataFrame = field(default_factory=lambda: _empty(CUSTOMER_COLUMNS))
    identifiers: pd.DataFrame = field(default_factory=lambda: _empty(IDENTIFIER_COLUMNS))
    policies: pd.DataFrame = field(default_factory=lambda: _empty(POLICY_COLUMNS))
    policy_roles: pd.DataFrame = field(default_factory=lambda: _empty(POLICY_ROLE_COLUMNS))
    agents: pd.DataFrame = field(default_factory=lambda: _empty(AGENT_COLUMNS))
    agent_contacts: pd.DataFrame = field(default_factory=lambda: _empty(AGENT_CONTACT_COLUMNS))
    complaints: pd.DataFrame = field(default_factory=lambda: _empty(COMPLAINT_COLUMNS))
    payer_exceptions: pd.DataFrame = field(default_factory=lambda: _empty(PAYER_EXCEPTION_COLUMNS))

    def customer_identifiers(self) -> pd.DataFrame:
        """Return the identifier rows whose owner is a customer."""
        rows = self.identifiers[self.identifiers["owner_type"] == "customer"]
        return rows.rename(columns={"owner_id": "customer_id"})
