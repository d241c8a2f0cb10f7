"""Health, readiness and metrics, outside /v1."""

from __future__ import annotations

import ipaddress
import logging
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import ContextDep
from api.errors import AUTH_PROBLEMS, RETRY_AFTER_SECONDS, ApiError, problem_responses
from api.permissions import is_allowed
from api.schemas import Health, Ready
from api.security import api_key_scheme, authenticate, bearer_scheme
from kycgraph.errors import StoreUnavailableError

logger = logging.getLogger(__name__)

router = APIRouter(tags=["system"])


@router.get("/health", response_model=Health, summary="Liveness: the process serves requests")
def health() -> dict[str, Any]:
    """Needs no key and touches no store."""
    return {"status": "ok"}


@router.get("/ready", response_model=Ready, summary="Readiness: the graph store and the state database answer",
            responses=problem_responses("/ready", "not_ready"))
def ready(context: ContextDep) -> dict[str, Any]:
    """Needs no key; 503 while Neo4j is unreachable."""
    verify = getattr(context.store, "verify", None)
    try:
        if verify is not None:
            verify()
        context.state.check()
    except StoreUnavailableError as exc:
        context.metrics.store_up.set(0)
        logger.warning("not ready: %s", exc)
        raise ApiError("not_ready", headers={"Retry-After": str(RETRY_AFTER_SECONDS)}) from exc
    context.metrics.store_up.set(1)
    return {"status": "ready", "store": context.store.name}


def _is_loopback(request: Request) -> bool:
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@router.get("/metrics", summary="Prometheus metrics; open from loopback, else an admin key",
            response_class=Response,
            responses={200: {"content": {"text/plain": {}}}, **problem_responses("/metrics", *AUTH_PROBLEMS)})
def metrics(
    request: Request,
    context: ContextDep,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    header_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Response:
    """Request counts and durations by route template; no personal data and no record ids."""
    if not _is_loopback(request):
        key = authenticate(context, bearer, header_key)
        if not is_allowed(key.role, "metrics:read"):
            raise ApiError("forbidden")
    return Response(context.metrics.exposition(), media_type=CONTENT_TYPE_LATEST)
