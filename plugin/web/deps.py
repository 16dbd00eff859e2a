"""Dependencies of the routes, as Annotated aliases: SessionDep, CurrentUser, and role checks."""

import ipaddress
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from config import Settings
from db.models import Role
from plugin.web.principal import Principal, identify
from plugin.web.sessions import COOKIE, session_user
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


def cookie_user(request: Request, session: SessionDep, state: StateDep) -> Principal | None:
    """The dashboard user of the session cookie, if it is valid."""
    return session_user(session, request.cookies.get(COOKIE), state.session_key)


CookieUser = Annotated[Principal | None, Depends(cookie_user)]


def dashboard_user(request: Request, user: CookieUser) -> Principal:
    """The dashboard user, from the session cookie; no cookie sends the browser to /login."""
    if user is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequiredError(target)
    return user


def reader(session: SessionDep, credentials: Bearer, user: CookieUser) -> Principal:
    """A caller with a bearer token or a dashboard session (OpenAPI document, metrics)."""
    return user or current_user(session, credentials)


def docs_reader(
    request: Request, session: SessionDep, credentials: Bearer, user: CookieUser
) -> Principal:
    """Like `reader`, but a browser without either is sent to /login (the /docs page)."""
    bearer = identify(session, None if credentials is None else credentials.credentials)
    return bearer or user or dashboard_user(request, None)


def metrics_reader(
    request: Request, session: SessionDep, credentials: Bearer, user: CookieUser, state: StateDep
) -> None:
    """Callers from `web.metrics_trusted_networks` need no token (a scraper); others need one."""
    if not _from_networks(request, state.settings.web.metrics_trusted_networks):
        reader(session, credentials, user)


def _from_networks(request: Request, networks: list[str]) -> bool:
    if request.client is None or not networks:
        return False
    try:
        address = ipaddress.ip_address(request.client.host)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(network, strict=False) for network in networks)


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
Reader = Annotated[Principal, Depends(reader)]
DocsReader = Annotated[Principal, Depends(docs_reader)]
DashboardPathologist = Annotated[Principal, Depends(_requires(Role.PATHOLOGIST, dashboard_user))]
DashboardAdmin = Annotated[Principal, Depends(_requires(Role.ADMIN, dashboard_user))]
