"""Where a request came from and how: its scheme and origin, believing the X-Forwarded-* headers
of a reverse proxy only when `web.trust_proxy_headers` says so (anyone can send them)."""

from fastapi import Request

from config import WebSettings


def is_https(request: Request, web: WebSettings) -> bool:
    """Whether the browser reached us over HTTPS (directly, or through a trusted proxy)."""
    if request.url.scheme == "https":
        return True
    return web.trust_proxy_headers and _forwarded(request, "x-forwarded-proto") == "https"


def own_origin(request: Request, web: WebSettings) -> str:
    """This site's origin as the browser sees it: scheme://host[:port]."""
    host = (web.trust_proxy_headers and _forwarded(request, "x-forwarded-host")) or (
        request.headers.get("host", "")
    )
    return f"{'https' if is_https(request, web) else 'http'}://{host.lower()}"


def is_cross_origin(request: Request, web: WebSettings) -> bool:
    """Whether a browser sent this request from another site (its Origin, else its Referer).

    A request with neither header is not from a browser form of another site (browsers send
    Origin with every POST), so it passes: scripts and curl may log in."""
    origin = request.headers.get("origin")
    if origin is None:
        referer = request.headers.get("referer")
        if referer is None:
            return False
        origin = "/".join(referer.split("/", 3)[:3])
    return origin.lower() != own_origin(request, web)


def _forwarded(request: Request, header: str) -> str:
    """The first (the client's) value of a comma-separated X-Forwarded-* header."""
    return request.headers.get(header, "").split(",")[0].strip().lower()
