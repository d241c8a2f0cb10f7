"""Error responses: problem details with exact detail texts in Chinese and English."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from api.errors import negotiate_language

if TYPE_CHECKING:
    from conftest import Served

# (name, method, path, role, extra request arguments, status, code, Chinese detail, English detail)
CASES: list[tuple[str, str, str, str | None, dict[str, Any], int, str, str, str]] = [
    ("missing key", "GET", "/v1/clusters", None, {}, 401, "missing_api_key",
     "缺少 API 密钥；请在 Authorization: Bearer 或 X-API-Key 请求头中提供",
     "API key missing; send it in the Authorization: Bearer or X-API-Key header"),
    ("forbidden", "GET", "/v1/audit", "investigator", {}, 403, "forbidden",
     "当前角色无权访问此资源", "Your role may not access this resource"),
    ("unknown cluster", "GET", "/v1/clusters/SC-0000000000000000", "admin", {}, 404, "cluster_not_found",
     "客户群不存在", "Cluster not found"),
    ("no recheck", "GET", "/v1/agents/4476907038/recheck", "admin", {}, 404, "recheck_not_found",
     "该营销员没有复核清单", "No re-check list for this agent"),
    ("bad cursor", "GET", "/v1/findings", "admin", {"params": {"cursor": "not-a-cursor"}}, 400, "invalid_cursor",
     "分页游标无效；请使用上一次响应返回的值", "Invalid cursor; use the value returned by the previous response"),
    ("since as cursor", "GET", "/v1/clusters", "admin", {"params": {"cursor": "WyJzaW5jZSIsMl0"}}, 400,
     "invalid_cursor",
     "分页游标无效；请使用上一次响应返回的值", "Invalid cursor; use the value returned by the previous response"),
    ("cursor with since", "GET", "/v1/findings", "admin", {"params": {"cursor": "x", "since": "0"}}, 400,
     "cursor_with_since", "cursor 与 since 不能同时使用", "cursor and since cannot be used together"),
    ("bad query", "GET", "/v1/clusters", "admin", {"params": {"min_size": "many"}}, 422, "invalid_request",
     "请求参数无效，详见 errors", "Invalid request parameters; see errors"),
    ("bad body", "POST", "/v1/checks/entry", "admin", {"json": {"policyholder": {"phone": 1, "x": 2}}}, 422,
     "invalid_request", "请求参数无效，详见 errors", "Invalid request parameters; see errors"),
    ("body too large", "POST", "/v1/checks/entry", "admin", {"content": b"{" + b" " * 70_000 + b"}"}, 413,
     "body_too_large", "请求体过大", "Request body too large"),
    ("unknown path", "GET", "/v1/nothing", "admin", {}, 404, "not_found", "资源不存在", "Resource not found"),
    ("wrong method", "DELETE", "/v1/clusters", "admin", {}, 405, "method_not_allowed",
     "不支持该请求方法", "Method not allowed"),
]


@pytest.mark.parametrize("lang", ["zh-CN", "en-US"])
@pytest.mark.parametrize(
    ("method", "path", "role", "extra", "status", "code", "zh", "en"),
    [pytest.param(*case[1:], id=case[0]) for case in CASES],
)
def test_error_detail_exact(
    served: Served, lang: str, method: str, path: str, role: str | None, extra: dict[str, Any],
    status: int, code: str, zh: str, en: str,
) -> None:
    headers = served.headers(role, lang) if role else {"Accept-Language": lang}
    if "content" in extra:
        headers["Content-Type"] = "application/json"
    response = served.client.request(method, path, headers=headers, **extra)
    assert response.status_code == status
    assert response.json()["detail"] == (zh if lang == "zh-CN" else en)
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["code"] == code
    assert body["status"] == status
    assert body["type"] == f"urn:kycgraph:problem:{code}"
    assert body["instance"] == path


def test_validation_error_hides_input(served: Served) -> None:
    form = {"policyholder": {"phone": ["13912345678"], "unknown_field": "13912345678"}}
    response = served.client.post("/v1/checks/entry", headers=served.headers("admin", "en"), json=form)
    assert response.status_code == 422
    assert "13912345678" not in response.text
    assert {tuple(e["loc"]) for e in response.json()["errors"]} == {
        ("body", "policyholder", "phone"), ("body", "policyholder", "unknown_field"),
    }


def test_default_language_chinese(served: Served) -> None:
    response = served.client.get("/v1/clusters")
    assert response.json()["detail"] == "缺少 API 密钥；请在 Authorization: Bearer 或 X-API-Key 请求头中提供"
    assert response.headers["content-language"] == "zh-CN"


@pytest.mark.parametrize(("header", "expected"), [
    (None, "zh"),
    ("en", "en"),
    ("en-GB,en;q=0.9", "en"),
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh"),
    ("en;q=0.5, zh;q=0.8", "zh"),
    ("fr-FR, en;q=0.3", "en"),
    ("fr-FR", "zh"),
    ("en;q=0, zh;q=0.1", "zh"),
    ("en;q=abc", "zh"),
])
def test_negotiate_language(header: str | None, expected: str) -> None:
    assert negotiate_language(header) == expected
