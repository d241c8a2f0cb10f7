"""Shared-contact clusters: listing with filters and incremental pull, and one cluster with its graph."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response
from pydantic import BaseModel, Field

from api.deps import (
    CURSOR_DESCRIPTION,
    INVALID_LIMIT,
    LIMIT_DESCRIPTION,
    SINCE_DESCRIPTION,
    TOKEN_MAX_LENGTH,
    ContextDep,
    page_size,
    query_model,
)
from api.errors import AUTH_PROBLEMS, LIVE_STORE_PROBLEMS, ApiError, problem_responses
from api.schemas import ClusterDetail, ClusterPage, FieldError, IsoDate
from api.security import Principal, record_access_async, require
from api.state import SQLITE_MAX_INTEGER, ClusterFilters
from api.views import cluster_detail, cluster_out

router = APIRouter(prefix="/v1/clusters", tags=["clusters"])
ReaderDep = Annotated[Principal, Depends(require("clusters:read"))]


class ClusterListQuery(BaseModel):
    """The query parameters of the cluster list: page size, paging tokens and filters.

    Read by :func:`api.deps.query_model`'s dependency in one validation,
    instead of as declared parameters.
    """

    limit: int | None = Field(None, ge=1, description=LIMIT_DESCRIPTION)
    cursor: str | None = Field(None, max_length=TOKEN_MAX_LENGTH, description=CURSOR_DESCRIPTION)
    since: str | None = Field(None, max_length=TOKEN_MAX_LENGTH, description=SINCE_DESCRIPTION)
    rule: str | None = Field(None, max_length=60)
    link_kind: str | None = Field(None, pattern=r"^[a-z_]{1,40}$", description="Identifier kind, e.g. phone")
    min_size: int | None = Field(None, ge=2, le=SQLITE_MAX_INTEGER)
    max_size: int | None = Field(None, ge=2, le=SQLITE_MAX_INTEGER)
    channel: str | None = Field(None, pattern=r"^[a-z_]{1,40}$", description="agency, bancassurance, …")
    first_seen_from: IsoDate | None = Field(None, description="First seen on or after (UTC, YYYY-MM-DD)")
    first_seen_to: IsoDate | None = Field(None, description="First seen on or before (UTC, YYYY-MM-DD)")


parse_list_query, LIST_QUERY_OPENAPI = query_model(ClusterListQuery)


@router.get(
    "", response_model=ClusterPage, summary="List shared-contact clusters", openapi_extra=LIST_QUERY_OPENAPI,
    responses=problem_responses("/v1/clusters", *AUTH_PROBLEMS, "invalid_cursor", "cursor_with_since",
                                "invalid_request", field_error=INVALID_LIMIT),
)
async def list_clusters(
    request: Request,
    context: ContextDep,
    principal: ReaderDep,
    query: Annotated[ClusterListQuery, Depends(parse_list_query)],
) -> Response:
    """Active clusters, largest first; with `since`, every change after the token in sequence order.

    Pages are encoded once per registry version and served from the app's
    page cache after that; each request is still authorised and audited.
    The route runs on the event loop. It reads the local state database in
    WAL mode, where readers do not wait for the writer, and awaits its audit
    entry's commit.
    """
    limit = page_size(context.settings, query.limit)
    cursor, since = query.cursor, query.since
    if cursor is not None and since is not None:
        raise ApiError("cursor_with_since")
    filters = ClusterFilters(query.rule, query.link_kind, query.min_size, query.max_size, query.channel,
                             query.first_seen_from, query.first_seen_to)
    # The version is read before the page. A publish between the two reads stores the newer page under the
    # older version, which only requests that started before the publish can still look up.
    key = ("clusters", context.state.last_sequence(), filters, limit, cursor, since, principal.full_view)
    cached = context.pages.get(key)
    if cached is None:
        page = context.state.list_clusters(filters, limit=limit, cursor=cursor, since=since)
        body = ClusterPage.model_validate({
            "items": [cluster_out(item, principal.full_view) for item in page.items],
            "next_cursor": page.next_cursor, "next_since": page.next_since, "has_more": page.has_more,
        }).model_dump_json().encode()
        cached = (body, [item.item_id for item in page.items])
        context.pages.put(key, *cached)
    body, record_ids = cached
    await record_access_async(context, request, principal, record_ids)
    return Response(body, media_type="application/json")


@router.get(
    "/{cluster_id}", response_model=ClusterDetail,
    responses=problem_responses(
        "/v1/clusters/SC-0b8f2d1c3e4a5f60", *AUTH_PROBLEMS, "cluster_not_found", "invalid_request",
        *LIVE_STORE_PROBLEMS, field_error=FieldError(loc=["path", "cluster_id"], type="string_too_long"),
    ),
    summary="One cluster with members, policies, agents, evidence and a graph to draw",
)
async def get_cluster(
    request: Request,
    context: ContextDep,
    principal: ReaderDep,
    cluster_id: Annotated[str, Path(max_length=64)],
) -> Response:
    """Reads the members' identifiers from the live graph store, so it returns 503 while the store is down.

    When the store reports a data version (see ``GraphStore.data_version``),
    each body is cached under the registry and store versions, like the list
    pages. Otherwise the store is read on every request.
    """
    store_version = await context.call_store(context.store.data_version)
    key = ("cluster", context.state.last_sequence(), store_version, cluster_id, principal.full_view)
    cached = context.pages.get(key) if store_version is not None else None
    if cached is None:
        item = context.state.get_cluster(cluster_id)
        if item is None:
            await record_access_async(context, request, principal, [], outcome="not_found")
            raise ApiError("cluster_not_found")
        detail = await context.call_store(cluster_detail, item, context.store, principal.full_view)
        cached = (ClusterDetail.model_validate(detail).model_dump_json().encode(),
                  [cluster_id, *[m["customer_id"] for m in detail["members"]]])
        if store_version is not None:
            context.pages.put(key, *cached)
    body, record_ids = cached
    await record_access_async(context, request, principal, record_ids)
    return Response(body, media_type="application/json")
