"""Reading the dashboard's URL-encoded forms, and checking their anti-forgery token."""

import secrets
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import Depends, HTTPException, Request, status

from plugin.web.principal import Principal

MAX_FORM_BYTES = 16 * 1024


async def form_fields(request: Request) -> dict[str, str]:
    """The fields of an application/x-www-form-urlencoded body (last value of each name)."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "send a URL-encoded form")
    body = await request.body()
    if len(body) > MAX_FORM_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, "the form is too large")
    fields = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {name: values[-1] for name, values in fields.items()}


FormDep = Annotated[dict[str, str], Depends(form_fields)]


def check_csrf(user: Principal, form: dict[str, str]) -> None:
    """Refuse a form that does not carry this session's anti-forgery token."""
    if not secrets.compare_digest(form.get("csrf", ""), user.csrf_token):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the form has expired: reload the page")
