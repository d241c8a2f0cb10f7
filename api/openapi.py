"""One hook for the changes kycgraph makes to the OpenAPI document that FastAPI builds."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI


def extend_openapi(app: FastAPI, edit: Callable[[dict[str, Any]], None]) -> None:
    """Make ``app.openapi()`` apply ``edit`` to the document once, when the document is first built.

    Each call wraps the previous ``app.openapi``, so several edits apply in
    the order of their calls. The edited document is kept in
    ``app.openapi_schema`` and served from there afterwards.
    """
    build_document = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        document = build_document()
        edit(document)
        app.openapi_schema = document
        return document

    app.openapi = openapi  # type: ignore[method-assign]
