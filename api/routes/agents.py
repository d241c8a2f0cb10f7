"""Agents: repeat-offender re-check lists and agent-substitution summaries."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Request

from api.deps import INVALID_LIMIT, ContextDep, CursorQuery, LimitDep
from api.errors import AUTH_PROBLEMS, ApiError, problem_responses, request_language
from api.schemas import FieldError, FindingOut, RecheckPage, SubstitutionPage
from api.security import Principal, record_access, require
from api.state import FindingFilters, InvalidCursorError, decode_token, encode_token
from api.views import finding_out
from graph.rules.agent_substitution import SUBSTITUTED
from graph.rules.repeat_offender import RULE_CODE as RECHECK

router = APIRouter(prefix="/v1/agents", tags=["agents"])
ReaderDep = Annotated[Principal, Depends(require("agents:read"))]


@router.get("/rechecks", response_model=RecheckPage,
            responses=problem_responses("/v1/agents/rechecks", *AUTH_PROBLEMS, "invalid_cursor", "invalid_request",
                                        field_error=INVALID_LIMIT),
            summary="List agents, bancassurance specialists and agencies whose sales must be re-checked")
def list_rechecks(
    request: Request, context: ContextDep, principal: ReaderDep, limit: LimitDep, cursor: CursorQuery = None
) -> dict[str, Any]:
    """Repeat offenders: two or more complaints verified as misleading sales within 365 days."""
    page = context.state.list_findings(FindingFilters(rule=RECHECK), limit=limit, cursor=cursor)
    lang = request_language(request)
    items = []
    for item in page.items:
        evidence = item.body["evidence"]
        items.append({
            "agent_id": item.body["agent_id"],
            "agent_type": evidence.get("agent_type"),
            "finding_id": item.item_id,
            "complaint_count": len(evidence.get("complaints", [])),
            "policy_count": int(evidence.get("policy_count", 0)),
            "customer_count": int(evidence.get("customer_count", 0)),
            "callback_count": int(evidence.get("callback_count", 0)),
            "message": item.body["message_zh"] if lang == "zh" else item.body["message_en"],
            "status": item.status,
        })
    record_access(context, request, principal, [item.item_id for item in page.items])
    return {"items": items, "next_cursor": page.next_cursor, "has_more": page.has_more}


@router.get("/substitutions", response_model=SubstitutionPage,
            responses=problem_responses("/v1/agents/substitutions", *AUTH_PROBLEMS, "invalid_cursor",
                                        "invalid_request", field_error=INVALID_LIMIT),
            summary="Per agent: customers whose contact details belong to the agent or its contacts")
def list_substitutions(
    request: Request, context: ContextDep, principal: ReaderDep, limit: LimitDep, cursor: CursorQuery = None
) -> dict[str, Any]:
    """Summaries of agent-substituted details by agent id, from the active findings."""
    after = ""
    if cursor is not None:
        values = decode_token(cursor, "substitutions")
        if len(values) != 1 or not isinstance(values[0], str):
            raise InvalidCursorError("the cursor does not hold an agent id")
        after = values[0]
    summaries: dict[str, dict[str, Any]] = {}
    for item in context.state.active_findings([SUBSTITUTED]):
        agent_id = str(item.body["agent_id"])
        if agent_id <= after:
            continue
        summary = summaries.setdefault(agent_id, {
            "agent_id": agent_id, "customers": set(), "sold": set(), "kinds": set(), "owners": set(),
            "finding_ids": [],
        })
        evidence = item.body["evidence"]
        customer_id = str(item.body["customer_id"])
        summary["customers"].add(customer_id)
        if evidence.get("sold_by_this_agent"):
            summary["sold"].add(customer_id)
        for match in evidence.get("matches", []):
            summary["kinds"].add(str(match["kind"]))
            summary["owners"].add(str(match["owner"]))
        summary["finding_ids"].append(item.item_id)
    ordered = [summaries[agent_id] for agent_id in sorted(summaries)]
    page = ordered[:limit]
    items = [
        {"agent_id": s["agent_id"], "customer_count": len(s["customers"]),
         "sold_by_this_agent_count": len(s["sold"]), "kinds": sorted(s["kinds"]), "owners": sorted(s["owners"]),
         "customer_ids": sorted(s["customers"]), "finding_ids": s["finding_ids"]}
        for s in page
    ]
    has_more = len(ordered) > limit
    next_cursor = encode_token("substitutions", [page[-1]["agent_id"]]) if has_more else None
    record_access(context, request, principal, [f for s in page for f in s["finding_ids"]])
    return {"items": items, "next_cursor": next_cursor, "has_more": has_more}


@router.get("/{agent_id}/recheck", response_model=FindingOut,
            responses=problem_responses(
                "/v1/agents/4476907038/recheck", *AUTH_PROBLEMS, "recheck_not_found", "invalid_request",
                field_error=FieldError(loc=["path", "agent_id"], type="string_too_long"),
            ),
            summary="The re-check list of one agent, bancassurance specialist or agency")
def get_recheck(
    request: Request, context: ContextDep, principal: ReaderDep, agent_id: Annotated[str, Path(max_length=64)]
) -> dict[str, Any]:
    """The re-check finding with every policy the subject sold and whether a callback is due."""
    page = context.state.list_findings(FindingFilters(rule=RECHECK, agent_id=agent_id), limit=1)
    if not page.items:
        record_access(context, request, principal, [], outcome="not_found")
        raise ApiError("recheck_not_found")
    item = page.items[0]
    record_access(context, request, principal, [item.item_id])
    return finding_out(item, request_language(request))
