"""The FastAPI application factory, and ``app`` for ``uvicorn api.app:app``.

:func:`create_app` wires settings, the state database, the graph store,
error handlers, the body-size limit, metrics and the routers. The module
attribute ``app`` is built on first access from the environment's settings,
so importing this module has no side effects.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.deps import AppContext
from api.errors import install_error_handlers, install_problem_schema, problem_response
from api.metrics import Metrics, MetricsMiddleware
from api.routes import agents, audit, checks, clusters, findings, hub_values, system, ui
from api.security import document_api_keys
from api.state import StateDB
from graph.store import GraphStore
from kycgraph.settings import Settings

logger = logging.getLogger(__name__)

API_VERSION = "1.0.0"
DESCRIPTION = """\
Shared-contact clusters, authenticity findings, repeat-offender re-checks and
entry-time checks of proposal forms, for the case system and investigators.

Every `/v1` route needs an API key (`Authorization: Bearer <token>` or
`X-API-Key: <token>`), is allowed by role, and is written to the audit log.
Errors are RFC 9457 problem details in Chinese or English by `Accept-Language`.
"""


def open_api_store(settings: Settings) -> GraphStore:
    """Open the store the settings choose, with the API's short Neo4j retry time so that requests fail fast."""
    if settings.store == "neo4j":
        from graph.neo4j_store import Neo4jStore

        return Neo4jStore(
            settings.neo4j_uri, settings.neo4j_user, settings.neo4j_password,
            database=settings.neo4j_database, batch_size=settings.neo4j_batch_size,
            max_transaction_retry_time=settings.api_neo4j_retry_seconds,
        )
    from graph.networkx_store import NetworkxStore

    return NetworkxStore()


class _BodyTooLargeError(Exception):
    """Raised inside :class:`BodySizeLimit` when a body without Content-Length grows past the limit."""


class BodySizeLimit:
    """ASGI middleware that returns 413 for a request body over ``max_bytes``, declared or streamed.

    NOTE: it checks requests of every method, but only POST operations
    document 413 in the OpenAPI document, because the others take no body.
    """

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = next((value for name, value in scope["headers"] if name == b"content-length"), None)
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await problem_response(Request(scope), "body_too_large")(scope, receive, send)
            return

        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLargeError
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLargeError:
            if response_started:
                raise
            await problem_response(Request(scope), "body_too_large")(scope, receive, send)


def create_app(settings: Settings | None = None, store: GraphStore | None = None) -> FastAPI:
    """Build the API application.

    Args:
        settings: run-time settings; read from the environment when None.
        store: the graph store to serve. When None, the store that
            ``settings.store`` names is opened (an empty networkx store, or a
            Neo4j driver) and closed at shutdown; a given store is left open.
    """
    settings = settings or Settings()
    owns_store = store is None
    graph_store = store if store is not None else open_api_store(settings)
    context = AppContext(settings=settings, state=StateDB(settings.state_dir), store=graph_store, metrics=Metrics())

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Built before the first request, which would otherwise wait seconds for it on a large store.
        await run_in_threadpool(graph_store.prepare_lookups)
        # The store's frames and indexes live as long as the process. Frozen, the cyclic garbage collector stops
        # walking their millions of objects on every full collection, which held up requests on large stores.
        # The collection first keeps start-up garbage out of the frozen set, where it would never be freed.
        gc.collect()
        gc.freeze()
        logger.info("kycgraph API started with the %s store, state in %s", graph_store.name, context.state.path)
        if owns_store and graph_store.lookups_in_memory:
            # uvicorn api.app:app with KYCGRAPH_STORE=networkx: nothing ever loads this store.
            logger.warning("the embedded store of this API process is empty, so entry checks find no owners and "
                           "cluster details no identifiers; serve an export with `kycgraph serve --input FOLDER` "
                           "or set KYCGRAPH_STORE=neo4j")
        yield
        if owns_store:
            graph_store.close()
        logger.info("kycgraph API stopped")

    app = FastAPI(
        title="kycgraph API",
        version=API_VERSION,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_tags=[
            {"name": "clusters", "description": "Shared-contact clusters (共用联系方式客户群)"},
            {"name": "findings", "description": "Findings of the authenticity rules (可疑客户资料问题件)"},
            {"name": "agents", "description": "Repeat-offender re-checks and agent-substituted details"},
            {"name": "hub values", "description": "Identifiers too common to link customers (高频标识)"},
            {"name": "checks", "description": "Entry-time check of a proposal form (投保单)"},
            {"name": "audit", "description": "The audit log (auditor role)"},
            {"name": "system", "description": "Health, readiness and metrics"},
        ],
    )
    app.state.context = context
    app.state.default_lang = settings.lang
    install_error_handlers(app)
    install_problem_schema(app)
    app.add_middleware(MetricsMiddleware, metrics=context.metrics)
    app.add_middleware(BodySizeLimit, max_bytes=settings.api_max_body_bytes)

    routers = (system.router, clusters.router, findings.router, agents.router, hub_values.router, checks.router,
               audit.router, ui.router)
    for router in routers:
        app.include_router(router)
    document_api_keys(app, routers)
    return app


_app: FastAPI | None = None


def __getattr__(name: str) -> Any:
    # ``app`` is built on first access (uvicorn api.app:app, schemathesis), not at import.
    global _app
    if name == "app":
        if _app is None:
            _app = create_app()
        return _app
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
