"""The investigators' web page: its files under ``/ui/`` and the vocabulary it labels data with.

The page (``api/static/``) is plain HTML, CSS and JavaScript with no build
step. It prompts for an API key and calls the ``/v1`` routes with it, so
every read it makes is authenticated, masked by role and audited like any
other client's. The routes here return no customer data and need no key.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter
from fastapi import Path as PathParam
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse

from api.errors import ApiError
from graph.rules import RULES
from kycgraph.i18n import MESSAGES

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
INDEX_FILE = "index.html"

_MEDIA_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
# The page loads only its own files and calls only this origin, and no other site may frame it.
_CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
_PAGE_HEADERS = {
    "Content-Security-Policy": _CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    # The files change with each release, and the page is small, so it is revalidated on every load.
    "Cache-Control": "no-cache",
}
# Prefixes of kycgraph.i18n vocabulary words that label API values on the page.
_VOCABULARY_PREFIXES = ("kind", "channel", "role", "severity", "reason")

router = APIRouter(include_in_schema=False)

AssetName = Annotated[str, PathParam(pattern=r"^[a-z0-9][a-z0-9_-]*\.(html|css|js|svg)$", max_length=64)]


def page_vocabulary() -> dict[str, Any]:
    """Return the rule names and vocabulary words in Chinese and English, as the CLI and reports write them.

    ``terms`` maps a prefix (``kind``, ``channel``, ``role``, ``severity``,
    ``reason``) to each value's ``{"zh": …, "en": …}``. A word may hold a
    ``{field}`` that the page fills in or replaces.
    """
    terms: dict[str, dict[str, dict[str, str]]] = {prefix: {} for prefix in _VOCABULARY_PREFIXES}
    for key, (zh, en) in MESSAGES.items():
        prefix, _, value = key.partition(".")
        if prefix in terms:
            terms[prefix][value] = {"zh": zh, "en": en}
    rules = [{"code": rule.code, "zh": rule.name_zh, "en": rule.name_en} for rule in RULES]
    return {"rules": rules, "terms": terms}


@router.get("/")
def root() -> RedirectResponse:
    """Send a browser at the server's root to the page."""
    return RedirectResponse("/ui/", status_code=307)


@router.get("/ui/")
def page() -> FileResponse:
    """Return the page's HTML."""
    return FileResponse(STATIC_DIR / INDEX_FILE, media_type=_MEDIA_TYPES[".html"], headers=_PAGE_HEADERS)


@router.get("/ui/vocabulary.json")
def vocabulary() -> JSONResponse:
    """Return the rule names and vocabulary words that the page shows for API codes."""
    return JSONResponse(page_vocabulary(), headers=_PAGE_HEADERS)


@router.get("/ui/{asset}")
def asset(asset: AssetName) -> FileResponse:
    """Return one file of the page: HTML, script, style sheet or image.

    Raises:
        ApiError: ``not_found`` when ``api/static`` has no such file. The
            name pattern admits no slash and no leading dot, so no path
            outside that folder can be named.
    """
    path = STATIC_DIR / asset
    if not path.is_file():
        raise ApiError("not_found")
    return FileResponse(path, media_type=_MEDIA_TYPES[path.suffix], headers=_PAGE_HEADERS)
