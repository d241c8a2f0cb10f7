"""Hub values: identifiers on so many customers that they link no one, listed so they can be explained."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from api.deps import ContextDep
from api.errors import AUTH_PROBLEMS, problem_responses
from api.schemas import HubValueList
from api.security import Principal, record_access, require

router = APIRouter(prefix="/v1/hub-values", tags=["hub values"])


@router.get("", response_model=HubValueList, summary="List hub values of the latest detection run",
            responses=problem_responses("/v1/hub-values", *AUTH_PROBLEMS))
def list_hub_values(
    request: Request,
    context: ContextDep,
    principal: Annotated[Principal, Depends(require("hub_values:read"))],
) -> dict[str, Any]:
    """Placeholders and values over the hub threshold, largest first; keys are always masked."""
    items = [
        {"kind": row["kind"], "key": row["key_masked"], "customer_count": row["customer_count"],
         "reason": row["reason"], "published_at": row["published_at"]}
        for row in context.state.hub_values()
    ]
    record_access(context, request, principal, [])
    return {"items": items}
