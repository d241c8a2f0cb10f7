"""Prometheus metrics of the API, on a registry of each app's own so that tests can build many apps."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Metrics:
    """Request counts and durations by route template, and whether the last readiness check reached the graph store."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "kycgraph_http_requests", "HTTP requests by method, route template and status code",
            ["method", "route", "status"], registry=self.registry,
        )
        self.duration = Histogram(
            "kycgraph_http_request_duration_seconds", "HTTP request duration in seconds by method and route template",
            ["method", "route"], registry=self.registry,
        )
        self.store_up = Gauge(
            "kycgraph_store_up", "1 when the last readiness check reached the graph store, else 0",
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """Return the metrics in the Prometheus text format."""
        return generate_latest(self.registry)


class MetricsMiddleware:
    """ASGI middleware that counts and times each request under its route template.

    Route templates, not paths, label the series, so ids in paths do not
    create new ones. A request that raises before its response starts is
    counted with status 500. This is a plain ASGI middleware, because
    Starlette's BaseHTTPMiddleware adds a task and a stream per request.
    """

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            # Routing stores the matched route in the scope, so the template is known once the call returns.
            route = scope_route_template(scope)
            self.metrics.requests.labels(scope["method"], route, str(status)).inc()
            self.metrics.duration.labels(scope["method"], route).observe(time.perf_counter() - started)


def scope_route_template(scope: Mapping[str, Any]) -> str:
    """Return the path template of the route that served a request scope, or ``unmatched`` (a 404)."""
    return str(getattr(scope.get("route"), "path", "unmatched"))


def route_template(request: Request) -> str:
    """Return the path template of the route that served a request (``/v1/clusters/{cluster_id}``).

    Returns ``unmatched`` for a request that no route matched (a 404), so
    that unknown paths do not each create a metric series.
    """
    return scope_route_template(request.scope)
