"""The audit log, for the auditor role."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from api.deps import INVALID_LIMIT, ContextDep, CursorQuery, LimitDep
from api.errors import AUTH_PROBLEMS, problem_responses
from api.schemas import AuditPage
from api.security import Principal, record_access, require
from api.state import InvalidCursorError, decode_token, encode_token, is_stored_integer

router = APIRouter(prefix="/v1/audit", tags=["audit"])


@router.get("", response_model=AuditPage, summary="Read the audit log, oldest first",
            responses=problem_responses("/v1/audit", *AUTH_PROBLEMS, "invalid_cursor", "invalid_request",
                                        field_error=INVALID_LIMIT))
def read_audit(
    request: Request,
    context: ContextDep,
    principal: Annotated[Principal, Depends(require("audit:read"))],
    limit: LimitDep,
    cursor: CursorQuery = None,
    key_id: Annotated[str | None, Query(max_length=40)] = None,
    route: Annotated[str | None, Query(max_length=200, description="Route template, e.g. /v1/clusters")] = None,
) -> dict[str, Any]:
    """Who called which route with which filters, and which record ids each call returned."""
    after = 0
    if cursor is not None:
        values = decode_token(cursor, "audit")
        if len(values) != 1 or not is_stored_integer(values[0]):
            raise InvalidCursorError("the cursor does not hold an audit entry id")
        after = values[0]
    entries = context.state.read_audit(after=after, limit=limit + 1, key_id=key_id, route=route)
    page = entries[:limit]
    has_more = len(entries) > limit
    record_access(context, request, principal, [str(e.entry_id) for e in page])
    return {
        "items": [asdict(e) for e in page],
        "next_cursor": encode_token("audit", [page[-1].entry_id]) if has_more else None,
        "has_more": has_more,
    }
