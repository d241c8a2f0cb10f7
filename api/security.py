"""Authentication by API key, the permission check, and the audit record of each access.

Every ``/v1`` route depends on :func:`require` with one permission from
:mod:`api.permissions`; that dependency is the only place where a request is
let in or turned away. A turned-away request with a valid key is audited as
``denied``. A route that returns data calls :func:`record_access` (from the
thread pool) or :func:`record_access_async` (on the event loop) before it
returns, so no data leaves without an audit entry.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from api.deps import AppContext
from api.errors import ApiError
from api.metrics import route_template
from api.openapi import extend_openapi
from api.permissions import Permission, is_allowed, sees_full_data
from api.state import ApiKey, key_id_of

logger = logging.getLogger(__name__)

bearer_scheme = HTTPBearer(auto_error=False, description="API key as a bearer token: `Authorization: Bearer kg_…`")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="API key in the X-API-Key header")

_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="kycgraph"'}
# The dependencies that require() has made, so that document_api_keys can find the routes that use them.
_KEY_DEPENDENCIES: set[Callable[..., Any]] = set()


@dataclass(frozen=True)
class Principal:
    """The caller of a request: its API key and whether its role sees personal data unmasked."""

    key: ApiKey

    @property
    def role(self) -> str:
        return self.key.role

    @property
    def full_view(self) -> bool:
        return sees_full_data(self.key.role)


def authenticate(
    context: AppContext, bearer: HTTPAuthorizationCredentials | None, header_key: str | None
) -> ApiKey:
    """Return the active API key sent with a request.

    Raises:
        ApiError: ``missing_api_key`` when neither header is sent,
            ``invalid_api_key`` when the token is unknown, malformed or revoked.
    """
    token = bearer.credentials if bearer is not None else header_key
    if not token:
        raise ApiError("missing_api_key", headers=_CHALLENGE)
    key = context.state.authenticate(token)
    if key is None:
        # The key id is not secret; the rest of the token is never logged.
        logger.warning("rejected API key with key id %s", key_id_of(token) or "(malformed)")
        raise ApiError("invalid_api_key", headers=_CHALLENGE)
    return key


def require(permission: Permission) -> Callable[[Request], Awaitable[Principal]]:
    """Return a dependency that authenticates the caller and checks that its role holds ``permission``."""

    # Async, so that the check runs on the event loop instead of a thread-pool hand-off per request. The key
    # lookup is one primary-key read of the local state database in WAL mode, where readers do not wait for
    # the writer. The dependency calls the security schemes itself, because each sub-dependency costs FastAPI
    # more per request than the key lookup. document_api_keys puts the schemes back into the OpenAPI document.
    async def dependency(request: Request) -> Principal:
        context: AppContext = request.app.state.context
        key = authenticate(context, await bearer_scheme(request), await api_key_scheme(request))
        principal = Principal(key)
        if not is_allowed(key.role, permission):
            await record_access_async(context, request, principal, [], outcome="denied")
            logger.warning("key %s with role %s denied %s %s", key.key_id, key.role, request.method,
                           request.url.path)
            raise ApiError("forbidden")
        return principal

    _KEY_DEPENDENCIES.add(dependency)
    return dependency


def document_api_keys(app: FastAPI, routers: Sequence[APIRouter]) -> None:
    """Make the app's OpenAPI document list the API-key schemes on every operation that depends on :func:`require`.

    ``routers`` are the routers included in ``app``; their routes are
    searched for the dependency.
    """

    def add_key_security(document: dict[str, Any]) -> None:
        schemes = document.setdefault("components", {}).setdefault("securitySchemes", {})
        for scheme in (bearer_scheme, api_key_scheme):
            schemes[scheme.scheme_name] = scheme.model.model_dump(mode="json", by_alias=True, exclude_none=True)
        for route in (route for router in routers for route in router.routes):
            if isinstance(route, APIRoute) and _needs_key(route.dependant):
                for method in route.methods or ():
                    document["paths"][route.path_format][method.lower()]["security"] = [
                        {bearer_scheme.scheme_name: []}, {api_key_scheme.scheme_name: []},
                    ]

    extend_openapi(app, add_key_security)


def _needs_key(dependant: Dependant) -> bool:
    return dependant.call in _KEY_DEPENDENCIES or any(_needs_key(d) for d in dependant.dependencies)


def record_access(
    context: AppContext,
    request: Request,
    principal: Principal | None,
    record_ids: Sequence[str],
    *,
    outcome: str = "allowed",
    query: dict[str, Any] | None = None,
) -> None:
    """Append the audit entry of one request and block until it is committed.

    The entry records who called, which route with which query, and which
    record ids the request returned. ``query`` defaults to the request's query parameters; routes that take a
    body pass a summary of it without personal values.
    """
    context.state.append_audit(**_audit_fields(request, principal, record_ids, outcome, query))


async def record_access_async(
    context: AppContext,
    request: Request,
    principal: Principal | None,
    record_ids: Sequence[str],
    *,
    outcome: str = "allowed",
    query: dict[str, Any] | None = None,
) -> None:
    """Append the audit entry of one request as :func:`record_access` does, for routes on the event loop."""
    await context.state.append_audit_async(**_audit_fields(request, principal, record_ids, outcome, query))


def _audit_fields(
    request: Request, principal: Principal | None, record_ids: Sequence[str], outcome: str,
    query: dict[str, Any] | None,
) -> dict[str, Any]:
    return {
        "key": principal.key if principal else None,
        "method": request.method,
        "route": route_template(request),
        "query": dict(request.query_params) if query is None else query,
        "outcome": outcome,
        "record_ids": record_ids,
    }
