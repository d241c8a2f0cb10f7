"""Request and response models of the API: the OpenAPI contract, with examples."""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field
from pydantic_core import PydanticKnownError

ItemStatus = Literal["active", "resolved"]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _require_iso_date(value: object) -> object:
    # Pydantic 2 reads a number, or a string of digits, as a Unix timestamp (0 is 1970-01-01), and a date-time at
    # midnight as its date. The document's format "date" requires YYYY-MM-DD, so nothing else is accepted.
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        raise PydanticKnownError("date_type")
    if not _ISO_DATE.fullmatch(value):
        raise PydanticKnownError("date_parsing", {"error": "expected YYYY-MM-DD"})
    return value


IsoDate = Annotated[date, BeforeValidator(_require_iso_date)]


class FieldError(BaseModel):
    """One invalid part of a request in a 422: where it is and the validation error type, never the input."""

    loc: list[str] = Field(description="Location: query, path, header or body, then the field names",
                           examples=[["query", "limit"]])
    type: str = Field(description="The pydantic error type", examples=["greater_than_equal"])


class ProblemOut(BaseModel):
    """An error response (RFC 9457 problem details)."""

    type: str = Field(examples=["urn:kycgraph:problem:forbidden"])
    title: str = Field(examples=["Forbidden"])
    status: int = Field(examples=[403])
    detail: str = Field(examples=["当前角色无权访问此资源"])
    instance: str = Field(examples=["/v1/audit"])
    code: str = Field(examples=["forbidden"])
    errors: list[FieldError] | None = Field(None, description="Field errors of a 422: location and type only")


class Health(BaseModel):
    status: Literal["ok"] = "ok"


class Ready(BaseModel):
    status: Literal["ready"] = "ready"
    store: str = Field(examples=["neo4j"])


# --- Clusters ------------------------------------------------------------------


class MemberPolicy(BaseModel):
    policy_no: str = Field(examples=["2026440117207127"])
    role: str = Field(examples=["policyholder"])
    agent_id: str | None = Field(None, examples=["4476907038"])
    channel: str | None = Field(None, examples=["agency"])
    product_name: str | None = None


class ClusterMember(BaseModel):
    customer_id: str = Field(examples=["0016054216"])
    name: str | None = Field(None, description="Masked (张**) unless the role sees personal data", examples=["张**"])
    roles: list[str] = Field(examples=[["policyholder"]])
    policies: list[MemberPolicy]


class MemberIdentifier(BaseModel):
    kind: str = Field(examples=["phone"])
    value: str = Field(description="Masked unless the role sees personal data", examples=["139****6610"])
    shared: bool = Field(description="True when the identifier links this member to others of the cluster")


class ClusterMemberDetail(ClusterMember):
    identifiers: list[MemberIdentifier]


class EvidenceOut(BaseModel):
    kind: str = Field(examples=["phone"])
    key: str = Field(description="The shared identifier, masked unless the role sees personal data (detail only)",
                     examples=["139****6610"])
    customer_ids: list[str]
    values: list[str] = Field(description="Each carrier's value as recorded, masked like key")


class ClusterOut(BaseModel):
    """A shared-contact cluster: customers joined by the same phone or bank account."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "cluster_id": "SC-0b8f2d1c3e4a5f60", "rule": "shared_contact_cluster", "status": "active", "size": 2,
        "link_kinds": ["phone"], "channels": ["agency"], "agent_ids": ["4412024709"],
        "first_seen": "2026-12-04T08:00:00+00:00", "last_changed": "2026-12-04T08:00:00+00:00",
        "members": [], "evidence": [],
    }]})

    cluster_id: str
    rule: str
    status: ItemStatus
    size: int
    link_kinds: list[str]
    channels: list[str]
    agent_ids: list[str]
    first_seen: str
    last_changed: str
    members: list[ClusterMember]
    evidence: list[EvidenceOut]


class GraphNode(BaseModel):
    id: str = Field(examples=["Customer:0016054216"])
    type: Literal["Customer", "Identifier", "Policy", "Agent"]
    label: str = Field(examples=["张**"])
    properties: dict[str, str | int | bool | None] = Field(default_factory=dict)


class GraphEdge(BaseModel):
    source: str
    target: str
    type: str = Field(examples=["HAS_PHONE"])


class ClusterGraph(BaseModel):
    """Nodes and edges for drawing a cluster: members, their shared identifiers, policies and agents."""

    nodes: list[GraphNode]
    edges: list[GraphEdge]


class ClusterDetail(ClusterOut):
    members: list[ClusterMemberDetail]  # type: ignore[assignment]
    graph: ClusterGraph


class ClusterPage(BaseModel):
    items: list[ClusterOut]
    next_cursor: str | None = Field(None, description="Pass as cursor for the next page; null on the last page")
    next_since: str | None = Field(None, description="Incremental mode: pass as since in the next pull")
    has_more: bool


# --- Findings ------------------------------------------------------------------------


class FindingOut(BaseModel):
    """One finding of an authenticity rule; its evidence is masked by the rule for every role."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "finding_id": "F-1da64b8d2fc3a759", "rule": "agent_substituted_details", "rule_name": "业务员代填联系方式",
        "severity": "high", "status": "active", "message": "客户 0056108361 的联系方式与营销员 4476907038 相关：…",
        "message_zh": "客户 0056108361 的联系方式与营销员 4476907038 相关：…",
        "message_en": "customer 0056108361 carries details of agent 4476907038: …",
        "evidence": {"sold_by_this_agent": True}, "customer_id": "0056108361", "policy_no": None,
        "agent_id": "4476907038", "channel": None,
        "first_seen": "2026-12-04T08:00:00+00:00", "last_changed": "2026-12-04T08:00:00+00:00",
    }]})

    finding_id: str
    rule: str
    rule_name: str = Field(description="The rule's name in the response language")
    severity: str
    status: ItemStatus
    message: str = Field(description="The message in the response language")
    message_zh: str
    message_en: str
    evidence: dict[str, Any]
    customer_id: str | None
    policy_no: str | None
    agent_id: str | None
    channel: str | None
    first_seen: str
    last_changed: str


class FindingPage(BaseModel):
    items: list[FindingOut]
    next_cursor: str | None = None
    next_since: str | None = None
    has_more: bool


# --- Agents and hub values ---------------------------------------------------------------


class RecheckSummary(BaseModel):
    """A repeat offender: an agent, bancassurance specialist or agency whose sales must be re-checked."""

    agent_id: str
    agent_type: str | None
    finding_id: str
    complaint_count: int
    policy_count: int
    customer_count: int
    callback_count: int
    message: str
    status: ItemStatus


class RecheckPage(BaseModel):
    items: list[RecheckSummary]
    next_cursor: str | None = None
    has_more: bool


class SubstitutionSummary(BaseModel):
    """Customers whose contact details belong to one agent or its registered contacts."""

    agent_id: str = Field(examples=["4476907038"])
    customer_count: int
    sold_by_this_agent_count: int = Field(description="Customers to whom this agent (or agency) sold a policy")
    kinds: list[str] = Field(examples=[["phone"]])
    owners: list[str] = Field(examples=[["agent", "relative"]], description="Whose details the customers carry")
    customer_ids: list[str]
    finding_ids: list[str]


class SubstitutionPage(BaseModel):
    items: list[SubstitutionSummary]
    next_cursor: str | None = None
    has_more: bool


class HubValueOut(BaseModel):
    kind: str = Field(examples=["phone"])
    key: str = Field(description="Always masked", examples=["000****0000"])
    customer_count: int
    reason: Literal["placeholder", "over_threshold"]
    published_at: str


class HubValueList(BaseModel):
    items: list[HubValueOut]


# --- Entry-time check ----------------------------------------------------------------------


class PartyIn(BaseModel):
    """One person on a proposal form, as entered."""

    model_config = ConfigDict(extra="forbid")

    customer_id: str | None = Field(
        None, max_length=40, description="The applicant's customer number, when an existing customer; "
        "their own record then does not count as another customer's"
    )
    name: str | None = Field(None, max_length=100)
    gender: str | None = Field(None, max_length=10, examples=["男"])
    birth_date: str | None = Field(None, max_length=20, examples=["1980-01-18"])
    id_type: str | None = Field(None, max_length=40, examples=["居民身份证"])
    id_number: str | None = Field(None, max_length=40)
    phone: str | None = Field(None, max_length=40)
    address: str | None = Field(None, max_length=200)
    bank_account: str | None = Field(None, max_length=40)


class EntryCheckIn(BaseModel):
    """A proposal form's key fields, checked before the application is accepted."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        "application_date": "2026-12-01",
        "agent_id": "4476907038",
        "policyholder": {
            "name": "陈明", "gender": "男", "birth_date": "1980-01-18", "id_type": "居民身份证",
            "id_number": "110101198001180036", "phone": "15979139670",
            "address": "广东省广州市天河区体育西路1号", "bank_account": "6222021234567890128",
        },
        "insured": None,
    }]})

    application_date: IsoDate | None = Field(None, description="Default: today")
    agent_id: str | None = Field(None, max_length=40, description="The selling agent, if known")
    policyholder: PartyIn
    insured: PartyIn | None = Field(None, description="Omit when the policyholder insures themself")


class FieldProblem(BaseModel):
    code: str = Field(examples=["id_checksum"])
    severity: Literal["blocking", "warning"]
    field: str | None = Field(None, description="The form field concerned", examples=["id_number"])
    message: str


class IdentifierOwner(BaseModel):
    owner_type: Literal["customer", "agent", "agent_contact"]
    owner_id: str
    agent_id: str | None = None
    contact_type: str | None = None


class IdentifierCheck(BaseModel):
    kind: Literal["phone", "bank_account", "address"]
    value: str | None = Field(description="The normalised value, masked unless the role sees personal data")
    problem: str | None = Field(None, description="Why the value is unusable, if it is")
    linkable: bool
    placeholder: bool
    owner_count: int = Field(description="Customers, agents and agent contacts on record with the value")
    owners: list[IdentifierOwner] = Field(description="The first 50 of them, by owner type and id")
    belongs_to_agent: bool
    belongs_to_other_customers: bool


class PartyCheck(BaseModel):
    role: Literal["policyholder", "insured"]
    complete: bool
    missing_fields: list[str]
    age_on_application_date: int | None
    id_valid: bool | None = Field(description="None when no resident ID number was entered or the document is not one")
    problems: list[FieldProblem]
    identifiers: list[IdentifierCheck]


class EntryCheckOut(BaseModel):
    accepted: bool = Field(description="False when a key field is missing or an ID check fails (blocking problems)")
    agent_match: bool = Field(description="True when an entered phone, account or address belongs to an agent "
                                          "or an agent's registered contact")
    shared_with_other_customers: bool
    parties: list[PartyCheck]


# --- Audit -------------------------------------------------------------------------------------


class AuditEntryOut(BaseModel):
    entry_id: int
    at: str
    key_id: str | None
    key_name: str | None
    role: str | None
    method: str
    route: str = Field(examples=["/v1/clusters/{cluster_id}"])
    query: dict[str, Any]
    outcome: str = Field(examples=["allowed"])
    record_ids: list[str]


class AuditPage(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None = None
    has_more: bool
