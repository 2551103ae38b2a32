"""`Annotated` dependencies, so route signatures read like sentences: session, Temporal, caller, visible case."""

from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession
from temporalio.client import Client

from api.auth import Caller, authenticate
from api.errors import Forbidden, NotFound
from api.evidence_store import EvidenceStore
from api.scoping import visible_cases
from api.services import Services
from api.text import shown
from models.case import Case
from rulebook.enums import Role
from settings import Settings

_bearer = HTTPBearer(auto_error=False, description="JWT (HS256) with claims sub, role, shop_id (merchants), exp")


def services(request: Request) -> Services:
    found: Services = request.app.state.services
    return found


def get_settings(request: Request) -> Settings:
    found: Settings = request.app.state.settings
    return found


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session for this request; the route commits once, anything left uncommitted is rolled back."""
    async with services(request).sessions() as session:
        request.state.session = session
        yield session


async def close_route_session(request: Request) -> None:
    """Gives the route's connection back once the route has answered, before FastAPI closes its session after the
    response. A keyed request stores its answer in a transaction of its own (api/idempotency.py): holding the route's
    connection meanwhile, requests filling the pool would each wait for a second one and deadlock until the pool's
    timeout (tests/api/test_connection_pool.py)."""
    session = getattr(request.state, "session", None)
    if isinstance(session, AsyncSession):
        await session.close()


def get_sessions(request: Request) -> async_sessionmaker[AsyncSession]:
    """The session factory itself, for code that opens its own sessions (the facts loader)."""
    return services(request).sessions


def get_temporal(request: Request) -> Client:
    return services(request).temporal


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[AsyncSession, Depends(get_session)]
SessionsDep = Annotated[async_sessionmaker[AsyncSession], Depends(get_sessions)]
TemporalDep = Annotated[Client, Depends(get_temporal)]


def get_evidence_store(request: Request) -> EvidenceStore:
    return services(request).evidence


EvidenceStoreDep = Annotated[EvidenceStore, Depends(get_evidence_store)]


def get_caller(
    settings: SettingsDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller:
    header = f"{credentials.scheme} {credentials.credentials}" if credentials else None
    return authenticate(header, settings)


CallerDep = Annotated[Caller, Depends(get_caller)]


def role_in(*roles: Role) -> Callable[[Caller], Coroutine[Any, Any, Caller]]:
    """A dependency that lets through only callers of these roles (403 `forbidden` otherwise)."""

    async def guard(caller: CallerDep) -> Caller:
        if caller.role not in roles:
            raise Forbidden(f"a {caller.role} cannot do this; allowed: {', '.join(roles)}")
        return caller

    return guard


SystemDep = Annotated[Caller, Depends(role_in(Role.SYSTEM))]
BuyerDep = Annotated[Caller, Depends(role_in(Role.BUYER))]
StaffDep = Annotated[Caller, Depends(role_in(Role.MERCHANT, Role.AGENT))]
PartyDep = Annotated[Caller, Depends(role_in(Role.BUYER, Role.MERCHANT, Role.AGENT))]  # the case's people


async def release_connection(session: AsyncSession) -> None:
    """Ends the request's transaction before it waits on Temporal, so its database connection goes back to the pool
    meanwhile: commands queued on one busy case would otherwise hold the whole pool, and the requests behind them
    time out waiting for a connection (500)."""
    await session.commit()


async def get_visible_case(case_id: str, caller: CallerDep, session: SessionDep) -> Case:
    """The case if the caller may see it; otherwise 404, exactly as if it did not exist."""
    case = (await session.exec(visible_cases(select(Case), caller).where(Case.case_id == case_id))).first()
    if case is None:
        raise NotFound(f"no case {shown(case_id)}")
    return case


VisibleCaseDep = Annotated[Case, Depends(get_visible_case)]
