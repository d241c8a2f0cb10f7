"""Prometheus metrics of the API, on a registry of each app's own so that tests can build many apps."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from starlette.requests import Request
from starlette.responses import Response


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

    async def middleware(self, request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        """Count and time each request under its route template, so ids in paths do not create new series."""
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:
            # Routing stores the matched route in the scope, so the template is known once the call returns.
            route = route_template(request)
            self.requests.labels(request.method, route, str(status)).inc()
            self.duration.labels(request.method, route).observe(time.perf_counter() - started)


def route_template(request: Request) -> str:
    """Return the path template of the route that served a request (``/v1/clusters/{cluster_id}``).

    Returns ``unmatched`` for a request that no route matched (a 404), so
    that unknown paths do not each create a metric series.
    """
    route = request.scope.get("route")
    return str(getattr(route, "path", "unmatched"))
