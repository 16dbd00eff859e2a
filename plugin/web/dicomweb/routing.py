"""DICOMweb's error answers: JSON with a status, never the dashboard's HTML error page."""

import logging
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import status
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.requests import Request

from db.errors import NotFoundError
from dicom.frames_index import FrameNotFoundError, FramesUnreadableError
from dicom.json_metadata import BulkDataNotFoundError, HeaderUnreadableError
from plugin.web.dicomweb.media import NotAcceptableError
from plugin.web.dicomweb.query import QueryError

log = logging.getLogger(__name__)

DICOM_JSON = "application/dicom+json"
Handler = Callable[[Request], Coroutine[Any, Any, Response]]
_STATUS: dict[type[Exception], int] = {
    QueryError: status.HTTP_400_BAD_REQUEST,
    NotFoundError: status.HTTP_404_NOT_FOUND,
    FrameNotFoundError: status.HTTP_404_NOT_FOUND,
    BulkDataNotFoundError: status.HTTP_404_NOT_FOUND,
    NotAcceptableError: status.HTTP_406_NOT_ACCEPTABLE,
    FramesUnreadableError: status.HTTP_422_UNPROCESSABLE_CONTENT,
    HeaderUnreadableError: status.HTTP_422_UNPROCESSABLE_CONTENT,
}


class DicomWebRoute(APIRoute):
    """A route whose domain errors become DICOMweb status codes with a reason."""

    def get_route_handler(self) -> Handler:
        original = super().get_route_handler()

        async def handler(request: Request) -> Response:
            try:
                return await original(request)
            except tuple(_STATUS) as error:
                code = next(code for kind, code in _STATUS.items() if isinstance(error, kind))
                log.info("dicomweb %s: %d %s", request.url.path, code, error)
                return JSONResponse({"detail": str(error)}, status_code=code)

        return handler


def dicomweb_base(request: Request) -> str:
    """The absolute URL of /dicom-web as the client reached it (for RetrieveURL, bulk data)."""
    return str(request.base_url).rstrip("/") + "/dicom-web"
