"""Dependencies of the routes, as Annotated aliases: SessionDep, CurrentUser, and role checks."""

from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from config import Settings
from db.models import Role
from plugin.web.principal import COOKIE, Principal, identify
from plugin.web.state import AppState, app_state

_bearer = HTTPBearer(auto_error=False, description="A token from `pathsentry token create`")


class LoginRequiredError(Exception):
    """A dashboard page was asked for without a valid session cookie."""

    def __init__(self, target: str) -> None:
        super().__init__(target)
        self.target = target


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; routes commit what they change."""
    with app_state(request).database.session() as session:
        yield session


def get_settings(request: Request) -> Settings:
    """The settings the app was created with."""
    return app_state(request).settings


StateDep = Annotated[AppState, Depends(app_state)]
SessionDep = Annotated[Session, Depends(get_session)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def current_user(session: SessionDep, credentials: Bearer) -> Principal:
    """The API caller, from `Authorization: Bearer <token>`; 401 without a valid token."""
    user = identify(session, None if credentials is None else credentials.credentials)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "a valid bearer token is needed (pathsentry token create)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


def dashboard_user(request: Request, session: SessionDep) -> Principal:
    """The dashboard user, from the session cookie; no cookie sends the browser to /login."""
    user = identify(session, request.cookies.get(COOKIE))
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequiredError(target)
    return user


def _requires(role: Role, who: Callable[..., Principal]) -> Callable[[Principal], Principal]:
    def check(user: Annotated[Principal, Depends(who)]) -> Principal:
        if not user.allows(role):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"this needs the {role} role")
        return user

    return check


CurrentUser = Annotated[Principal, Depends(current_user)]
PathologistUser = Annotated[Principal, Depends(_requires(Role.PATHOLOGIST, current_user))]
AdminUser = Annotated[Principal, Depends(_requires(Role.ADMIN, current_user))]
DashboardUser = Annotated[Principal, Depends(dashboard_user)]
DashboardPathologist = Annotated[Principal, Depends(_requires(Role.PATHOLOGIST, dashboard_user))]
DashboardAdmin = Annotated[Principal, Depends(_requires(Role.ADMIN, dashboard_user))]
