"""Findings of the authenticity rules: listing with filters and incremental pull."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from api.deps import INVALID_LIMIT, ContextDep, CursorQuery, LimitDep, SinceQuery
from api.errors import AUTH_PROBLEMS, ApiError, problem_responses, request_language
from api.schemas import FindingPage
from api.security import Principal, record_access, require
from api.state import FindingFilters
from api.views import finding_out

router = APIRouter(prefix="/v1/findings", tags=["findings"])

IdQuery = Annotated[str | None, Query(max_length=64)]


@router.get(
    "", response_model=FindingPage, summary="List findings",
    responses=problem_responses("/v1/findings", *AUTH_PROBLEMS, "invalid_cursor", "cursor_with_since",
                                "invalid_request", field_error=INVALID_LIMIT),
)
def list_findings(
    request: Request,
    context: ContextDep,
    principal: Annotated[Principal, Depends(require("findings:read"))],
    limit: LimitDep,
    cursor: CursorQuery = None,
    since: SinceQuery = None,
    rule: Annotated[str | None, Query(max_length=60, description="Rule code, e.g. third_party_payer")] = None,
    customer_id: IdQuery = None,
    policy_no: IdQuery = None,
    agent_id: IdQuery = None,
) -> dict[str, Any]:
    """Active findings by id; with `since`, every change after the token in sequence order."""
    if cursor is not None and since is not None:
        raise ApiError("cursor_with_since")
    filters = FindingFilters(rule=rule, customer_id=customer_id, policy_no=policy_no, agent_id=agent_id)
    page = context.state.list_findings(filters, limit=limit, cursor=cursor, since=since)
    lang = request_language(request)
    items = [finding_out(item, lang) for item in page.items]
    record_access(context, request, principal, [item.item_id for item in page.items])
    return {"items": items, "next_cursor": page.next_cursor, "next_since": page.next_since,
            "has_more": page.has_more}
