"""The entry-time check of a proposal form against the live graph store."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request

from api.deps import ContextDep
from api.entry_check import check_entry
from api.errors import AUTH_PROBLEMS, LIVE_STORE_PROBLEMS, problem_responses, request_language
from api.schemas import EntryCheckIn, EntryCheckOut, FieldError
from api.security import Principal, record_access_async, require

router = APIRouter(prefix="/v1/checks", tags=["checks"])


@router.post(
    "/entry", response_model=EntryCheckOut, summary="Check a proposal form before it is accepted",
    responses=problem_responses(
        "/v1/checks/entry", *AUTH_PROBLEMS, "body_too_large", "invalid_request", *LIVE_STORE_PROBLEMS,
        field_error=FieldError(loc=["body", "policyholder", "phone"], type="string_type"),
    ),
)
async def check_proposal(
    request: Request,
    context: ContextDep,
    principal: Annotated[Principal, Depends(require("checks:entry"))],
    form: EntryCheckIn,
) -> dict[str, Any]:
    """Completeness, the resident-ID check, and whether the phone, bank account or address is someone else's."""
    body, revealed = await context.call_store(check_entry, form, context.store, context.settings,
                                              full=principal.full_view, lang=request_language(request))
    # The audit query names the fields sent, never their values.
    sent = {role: sorted(k for k, v in party.model_dump().items() if v is not None)
            for role, party in (("policyholder", form.policyholder), ("insured", form.insured)) if party}
    await record_access_async(context, request, principal, revealed,
                              query={"fields": sent, "agent_id": form.agent_id})
    return body
