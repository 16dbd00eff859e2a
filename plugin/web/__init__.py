"""The web API (FastAPI, OpenAPI at /docs), health and metrics, and the dashboard."""

from plugin.web.app import create_app

__all__ = ["create_app"]
