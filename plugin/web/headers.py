"""Response headers every answer of the service carries, whatever route made it."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Static files of the dashboard and the docs may be cached; nothing else: API answers and
# pages hold patient data, which must not stay in a browser's or proxy's cache.
CACHEABLE_PREFIXES = ("/static/", "/docs-assets/")


class NoStoreMiddleware:
    """Add `Cache-Control: no-store` to every response that does not set its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CACHEABLE_PREFIXES):
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("cache-control", "no-store")
            await send(message)

        await self.app(scope, receive, send_no_store)
