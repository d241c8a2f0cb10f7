"""Dependencies shared by the routes: the application context, the store, paging parameters."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Any, ParamSpec, TypeVar

from fastapi import Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError

from api.metrics import Metrics
from api.schemas import FieldError
from api.state import StateDB
from api.views import PageCache
from graph.store import GraphStore
from kycgraph.settings import Settings

_P = ParamSpec("_P")
_T = TypeVar("_T")


@dataclass
class AppContext:
    """What every request needs: settings, the state database and the one graph store of this process.

    The store is shared by all requests. ``Neo4jStore`` holds one driver per
    process and opens a session per query, so no session outlives a request
    or is shared between two.
    """

    settings: Settings
    state: StateDB
    store: GraphStore
    metrics: Metrics
    pages: PageCache = field(default_factory=PageCache)

    async def call_store(self, function: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> _T:
        """Call a function that reads the store, and return its result.

        The call runs on the event loop when the store's lookups are in
        memory, else in the thread pool, so that a network round trip never
        holds up the loop.
        """
        if self.store.lookups_in_memory:
            return function(*args, **kwargs)
        return await run_in_threadpool(function, *args, **kwargs)


# Dependencies that do not block are async, because FastAPI runs each sync dependency in the thread pool and
# that hand-off costs more than these functions themselves.
async def get_context(request: Request) -> AppContext:
    context: AppContext = request.app.state.context
    return context


ContextDep = Annotated[AppContext, Depends(get_context)]


LIMIT_DESCRIPTION = "Items per page; default and maximum are settings"


async def page_limit(
    context: ContextDep,
    limit: Annotated[int | None, Query(ge=1, description=LIMIT_DESCRIPTION)] = None,
) -> int:
    """Return the page size: the request's ``limit`` capped at the maximum, or the default."""
    return page_size(context.settings, limit)


def page_size(settings: Settings, limit: int | None) -> int:
    """Return the page size for a request's ``limit``: capped at the maximum, or the default when None."""
    if limit is None:
        return settings.api_page_size
    return min(limit, settings.api_max_page_size)


LimitDep = Annotated[int, Depends(page_limit)]
# The validation error of limit=0, which the paged routes show as their 422 example.
INVALID_LIMIT = FieldError(loc=["query", "limit"], type="greater_than_equal")
CURSOR_DESCRIPTION = "Opaque cursor from the previous page's next_cursor"
SINCE_DESCRIPTION = "Incremental pull: 0 for the beginning, then the previous response's next_since"
# Maximum length of a cursor or since token.
TOKEN_MAX_LENGTH = 512
CursorQuery = Annotated[str | None, Query(description=CURSOR_DESCRIPTION, max_length=TOKEN_MAX_LENGTH)]
SinceQuery = Annotated[str | None, Query(description=SINCE_DESCRIPTION, max_length=TOKEN_MAX_LENGTH)]


_Query = TypeVar("_Query", bound=BaseModel)


def query_model(model: type[_Query]) -> tuple[Callable[[Request], Awaitable[_Query]], dict[str, Any]]:
    """Return a dependency that reads a route's query parameters into ``model``, and their OpenAPI entries.

    FastAPI inspects the annotation of every declared query parameter on
    every request. For the ten parameters of the cluster list that cost
    about 70 microseconds per request, where one validation of the model
    costs a few. Pass the second value as the
    route's ``openapi_extra``, so that the document lists the parameters as
    if they were declared. Invalid values raise ``RequestValidationError``
    with ``query`` locations, as declared parameters do.
    """

    async def parse(request: Request) -> _Query:
        try:
            return model.model_validate(dict(request.query_params))
        except ValidationError as exc:
            errors = [{**error, "loc": ("query", *error["loc"])} for error in exc.errors(include_url=False)]
            raise RequestValidationError(errors) from None

    properties = model.model_json_schema()["properties"]
    parameters = [
        {"name": name, "in": "query", "required": False, "schema": schema,
         **({"description": schema["description"]} if "description" in schema else {})}
        for name, schema in properties.items()
    ]
    return parse, {"parameters": parameters}
