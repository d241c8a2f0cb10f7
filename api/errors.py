"""Problem details (RFC 9457) for every error the API returns, in Chinese or English.

Every error response is ``application/problem+json`` with ``type``,
``title`` (the HTTP reason phrase), ``status``, ``detail``, ``instance`` (the
request path) and ``code``. ``detail`` is a short, stable text from
:data:`PROBLEMS` in the language that ``Accept-Language`` prefers (Chinese
unless English ranks higher), so clients and tests may compare it word for
word. No response carries a stack trace or a personal value: validation
errors name the field and the error type, never the input.

Exceptions turned into problems::

    ApiError                  raised by routes and dependencies with a catalogue code
    StoreUnavailableError     -> store_unavailable (503, Retry-After)
    StoreError                -> store_failed (502)
    InvalidCursorError        -> invalid_cursor (400)
    RequestValidationError    -> invalid_request (422)
    HTTPException 404 / 405   -> not_found / method_not_allowed
    HTTPException 400         -> invalid_request (422), a body that cannot be decoded
    any other exception       -> internal (500), logged with its traceback

Each route documents its errors with :func:`problem_responses`, from the
catalogue codes it can return, so the OpenAPI document shows the same media
type, schema and headers as the responses.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from neo4j.exceptions import ServiceUnavailable, SessionExpired
from pydantic.json_schema import models_json_schema
from starlette.exceptions import HTTPException as StarletteHTTPException

from api.openapi import extend_openapi
from api.schemas import FieldError, ProblemOut
from api.state import InvalidCursorError
from kycgraph.errors import StoreError, StoreUnavailableError
from kycgraph.i18n import Lang

logger = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:kycgraph:problem:"
# Seconds a client should wait before retrying a 503.
RETRY_AFTER_SECONDS = 5


@dataclass(frozen=True)
class Problem:
    """A catalogue entry: the HTTP status and the detail text in Chinese and English."""

    status: int
    zh: str
    en: str


PROBLEMS: dict[str, Problem] = {
    "missing_api_key": Problem(
        401,
        "缺少 API 密钥；请在 Authorization: Bearer 或 X-API-Key 请求头中提供",
        "API key missing; send it in the Authorization: Bearer or X-API-Key header",
    ),
    "invalid_api_key": Problem(401, "API 密钥无效或已吊销", "API key invalid or revoked"),
    "forbidden": Problem(403, "当前角色无权访问此资源", "Your role may not access this resource"),
    "not_found": Problem(404, "资源不存在", "Resource not found"),
    "cluster_not_found": Problem(404, "客户群不存在", "Cluster not found"),
    "recheck_not_found": Problem(404, "该营销员没有复核清单", "No re-check list for this agent"),
    "method_not_allowed": Problem(405, "不支持该请求方法", "Method not allowed"),
    "invalid_cursor": Problem(
        400,
        "分页游标无效；请使用上一次响应返回的值",
        "Invalid cursor; use the value returned by the previous response",
    ),
    "cursor_with_since": Problem(400, "cursor 与 since 不能同时使用", "cursor and since cannot be used together"),
    "invalid_request": Problem(422, "请求参数无效，详见 errors", "Invalid request parameters; see errors"),
    "body_too_large": Problem(413, "请求体过大", "Request body too large"),
    "store_unavailable": Problem(
        503, "图数据库暂时不可用，请稍后重试", "The graph database is unavailable; retry later"
    ),
    "store_failed": Problem(502, "图数据库查询失败，请稍后重试", "The graph database query failed; retry later"),
    "not_ready": Problem(503, "服务未就绪：图数据库不可用", "Not ready: the graph database is unavailable"),
    "internal": Problem(500, "服务内部错误", "Internal server error"),
}


# Codes every /v1 route can return, because its dependency on api.security.require authenticates and authorises.
AUTH_PROBLEMS = ("missing_api_key", "invalid_api_key", "forbidden")
# Codes of a route that reads the live graph store, not only the results registry.
LIVE_STORE_PROBLEMS = ("store_unavailable", "store_failed")

_OPENAPI_SCHEMAS = "#/components/schemas/"
# OpenAPI header objects: the header that problem_response sets on every problem, and those that go with a status.
_CONTENT_LANGUAGE_HEADER: dict[str, Any] = {
    "description": "The language of detail", "required": True, "schema": {"type": "string", "enum": ["zh-CN", "en"]},
}
_STATUS_HEADERS: dict[int, dict[str, dict[str, Any]]] = {
    401: {"WWW-Authenticate": {
        "description": "The authentication scheme to use", "required": True,
        "schema": {"type": "string", "pattern": "^Bearer "},
    }},
    503: {"Retry-After": {
        "description": "Seconds to wait before retrying", "required": True,
        "schema": {"type": "integer", "minimum": 0},
    }},
}


class ApiError(Exception):
    """Raised by routes and dependencies to respond with the catalogue problem ``code``."""

    def __init__(
        self, code: str, *, headers: Mapping[str, str] | None = None, extra: Mapping[str, Any] | None = None
    ) -> None:
        if code not in PROBLEMS:
            raise KeyError(f"unknown problem code {code!r}")
        super().__init__(code)
        self.code = code
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


def negotiate_language(accept_language: str | None, default: Lang = "zh") -> Lang:
    """Return ``zh`` or ``en``: the one ``Accept-Language`` ranks higher, or ``default`` when it names neither.

    Quality values are honoured (``en;q=0.9, zh;q=0.8`` gives ``en``); on a
    tie the language listed first wins. Region tags count for their
    language (``zh-CN``, ``en-US``).
    """
    best: tuple[float, int, Lang] | None = None
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _, parameters = part.strip().partition(";")
        language = tag.strip().lower().split("-")[0]
        if language not in ("zh", "en"):
            continue
        quality = 1.0
        for parameter in parameters.split(";"):
            name, _, value = parameter.strip().partition("=")
            if name.strip() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if quality <= 0:
            continue
        chosen: Lang = "zh" if language == "zh" else "en"
        candidate = (-quality, position, chosen)
        if best is None or candidate < best:
            best = candidate
    return best[2] if best is not None else default


def request_language(request: Request) -> Lang:
    """Return the response language of a request, with the app's default language as fallback."""
    default: Lang = getattr(request.app.state, "default_lang", "zh")
    return negotiate_language(request.headers.get("accept-language"), default)


def problem_body(code: str, lang: Lang, instance: str, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Return the problem-details object for a catalogue code."""
    problem = PROBLEMS[code]
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_PREFIX + code,
        "title": HTTPStatus(problem.status).phrase,
        "status": problem.status,
        "detail": problem.zh if lang == "zh" else problem.en,
        "instance": instance,
        "code": code,
    }
    body.update(extra or {})
    return body


def problem_response(
    request: Request,
    code: str,
    *,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
) -> JSONResponse:
    """Return the problem ``code`` as an ``application/problem+json`` response in the request's language."""
    lang = request_language(request)
    return JSONResponse(
        problem_body(code, lang, request.url.path, extra),
        status_code=PROBLEMS[code].status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers={"Content-Language": "zh-CN" if lang == "zh" else "en", **(headers or {})},
    )


def problem_responses(
    instance: str, *codes: str, field_error: FieldError | None = None
) -> dict[int | str, dict[str, Any]]:
    """Return the OpenAPI ``responses`` of an operation that can fail with the catalogue ``codes``.

    Codes of one status share its response, which is
    ``application/problem+json`` with the :class:`~api.schemas.ProblemOut`
    schema. Each code gets an example with its Chinese detail and the English
    detail as the example's summary. The headers are ``Content-Language``
    on every status, ``WWW-Authenticate`` on 401 and ``Retry-After`` on 503.

    Args:
        instance: the request path the examples show.
        codes: every catalogue code the operation can return.
        field_error: the ``errors`` item of the ``invalid_request``
            example; required with that code.

    Raises:
        KeyError: a code is not in :data:`PROBLEMS`.
        ValueError: ``invalid_request`` is listed without ``field_error``.
    """
    codes_by_status: dict[int, list[str]] = {}
    for code in codes:
        codes_by_status.setdefault(PROBLEMS[code].status, []).append(code)

    responses: dict[int | str, dict[str, Any]] = {}
    for status, status_codes in sorted(codes_by_status.items()):
        examples: dict[str, Any] = {}
        for code in status_codes:
            extra = None
            if code == "invalid_request":
                if field_error is None:
                    raise ValueError(f"the responses of {instance} list invalid_request; pass its field_error")
                extra = {"errors": [field_error.model_dump()]}
            examples[code] = {"summary": PROBLEMS[code].en, "value": problem_body(code, "zh", instance, extra)}
        listed = "\n".join(f"- `{code}`: {PROBLEMS[code].en}" for code in status_codes)
        responses[status] = {
            "description": f"{HTTPStatus(status).phrase}. The problem code is one of:\n\n{listed}",
            "headers": {"Content-Language": _CONTENT_LANGUAGE_HEADER, **_STATUS_HEADERS.get(status, {})},
            "content": {PROBLEM_MEDIA_TYPE: {
                "schema": {"$ref": _OPENAPI_SCHEMAS + ProblemOut.__name__}, "examples": examples,
            }},
        }
    return responses


def install_problem_schema(app: FastAPI) -> None:
    """Add the :class:`~api.schemas.ProblemOut` schema to the document that ``app.openapi()`` builds.

    FastAPI adds a model's schema only when a route names the model, and it
    documents a model in ``responses`` as ``application/json``. So
    :func:`problem_responses` refers to the schema by name, and this adds it.
    """

    def add_problem_schema(document: dict[str, Any]) -> None:
        _, definitions = models_json_schema([(ProblemOut, "serialization")], ref_template=_OPENAPI_SCHEMAS + "{model}")
        document.setdefault("components", {}).setdefault("schemas", {}).update(definitions["$defs"])

    extend_openapi(app, add_problem_schema)


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Field location and error type only: the input and pydantic's message may quote personal data.
    return [{"loc": [str(part) for part in error.get("loc", ())], "type": str(error.get("type", ""))}
            for error in exc.errors()]


def install_error_handlers(app: FastAPI) -> None:
    """Register the handlers that turn every exception into a problem-details response."""

    async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, ApiError)
        return problem_response(request, exc.code, headers=exc.headers, extra=exc.extra)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(request, "invalid_request", extra={"errors": _validation_errors(exc)})

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 405:
            return problem_response(request, "method_not_allowed")
        if exc.status_code == 404:
            return problem_response(request, "not_found")
        if exc.status_code == 400:
            # FastAPI raises 400 for a body it cannot read, such as JSON that is not UTF-8. A JSON syntax
            # error is already a 422 json_invalid, so an unreadable body gets the same answer.
            errors = [{"loc": ["body"], "type": "json_invalid"}]
            return problem_response(request, "invalid_request", extra={"errors": errors})
        logger.warning("HTTP error %d on %s %s", exc.status_code, request.method, request.url.path)
        return problem_response(request, "internal")

    async def on_store_unavailable(request: Request, exc: Exception) -> JSONResponse:
        logger.warning("graph store unavailable on %s %s: %s", request.method, request.url.path, exc)
        return problem_response(request, "store_unavailable", headers={"Retry-After": str(RETRY_AFTER_SECONDS)})

    async def on_store_error(request: Request, exc: Exception) -> JSONResponse:
        logger.error("graph store failed on %s %s: %s", request.method, request.url.path, exc)
        return problem_response(request, "store_failed")

    async def on_invalid_cursor(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(request, "invalid_cursor")

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        logger.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem_response(request, "internal")

    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(StoreUnavailableError, on_store_unavailable)
    # Driver errors that escape a store's own translation still mean the server is unreachable.
    app.add_exception_handler(ServiceUnavailable, on_store_unavailable)
    app.add_exception_handler(SessionExpired, on_store_unavailable)
    app.add_exception_handler(StoreError, on_store_error)
    app.add_exception_handler(InvalidCursorError, on_invalid_cursor)
    app.add_exception_handler(Exception, on_unexpected)
