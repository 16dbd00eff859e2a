"""Who may use DICOMweb (an API bearer token or the dashboard session), and the audit of it."""

from typing import Annotated

from fastapi import Depends, HTTPException, status
from sqlalchemy.orm import Session

from db import audit
from plugin.web.deps import Bearer, CookieUser, SessionDep
from plugin.web.dicomweb.objects import StoredObject
from plugin.web.principal import Principal, identify

SEARCH = "dicomweb.search"


def dicomweb_user(session: SessionDep, credentials: Bearer, cookie: CookieUser) -> Principal:
    """The caller, from `Authorization: Bearer <token>` or the dashboard session; 401 otherwise."""
    bearer = identify(session, None if credentials is None else credentials.credentials)
    user = bearer or cookie
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid bearer token (pathsentry token create) or dashboard session is needed",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


DicomWebUser = Annotated[Principal, Depends(dicomweb_user)]


def audit_search(session: Session, user: Principal, level: str) -> None:
    """A QIDO-RS search, recorded without its query values (they may identify patients)."""
    audit.record(session, user.name, SEARCH, detail=f"dicomweb {level}")
    session.commit()


def audit_view(session: Session, user: Principal, stored: StoredObject, what: str) -> None:
    """A retrieval from a case, recorded as a case view."""
    slide_id = stored.instance.slide_id if stored.instance is not None else None
    audit.record(
        session,
        user.name,
        audit.Action.CASE_VIEW,
        case_id=stored.case.id,
        slide_id=slide_id,
        detail=f"dicomweb {what}",
    )
    session.commit()
