"""The interactive API documentation, served from local files: hospital networks are often
offline, and a page that loads its script from a CDN would stay blank there.

Swagger UI 5 (from the swagger-ui-py package) renders the OpenAPI 3.1 document FastAPI
writes; the 4.x of swagger-ui-bundle could not. Both the page and the document need a token
or a dashboard session: they list every operation an attacker could try.
"""

from importlib import resources
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from plugin.web.deps import DocsReader, Reader

ASSETS = "/docs-assets"
OPENAPI_URL = "/openapi.json"


def swagger_ui_folder() -> str:
    """Where the installed Swagger UI keeps its script, styles and icons."""
    return str(resources.files("swagger_ui") / "static")


def add_local_docs(app: FastAPI) -> None:
    """Serve Swagger UI at /docs and the OpenAPI document at /openapi.json, both behind login.

    The app must be made with `openapi_url=None`, so that FastAPI adds no open route of its own.
    """
    app.mount(ASSETS, StaticFiles(directory=swagger_ui_folder()), name="docs-assets")

    @app.get(OPENAPI_URL, include_in_schema=False)
    async def openapi(_user: Reader) -> dict[str, Any]:
        return app.openapi()

    @app.get("/docs", include_in_schema=False)
    async def docs(_user: DocsReader) -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url=OPENAPI_URL,
            title=f"{app.title} API",
            swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
        )
