"""Users, their managers, and who may decide on an account's cards."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from storage.enums import Role
from storage.models import Account, User

ANY_ACCOUNT_ROLES = frozenset({Role.OPS, Role.ADMIN})


def get_user(session: Session, *, slack_id: str) -> User | None:
    return session.get(User, slack_id)


def list_users(session: Session, *, role: Role | None = None) -> list[User]:
    query = select(User).order_by(User.slack_id)
    if role is not None:
        query = query.where(User.role == role)
    return list(session.scalars(query))


def names_by_id(session: Session) -> dict[str, str]:
    """slack id -> name, for every user."""
    return {slack_id: name for slack_id, name in session.execute(select(User.slack_id, User.name))}


def digest_recipients(session: Session, *, only_user: str | None = None) -> list[User]:
    """Who gets a morning digest: every CSM and every other account owner (or just `only_user`)."""
    if only_user:
        query = select(User).where(User.slack_id == only_user)
    else:
        query = select(User).where(
            or_(User.role == Role.CSM, User.slack_id.in_(select(Account.owner_slack_id)))
        )
    return list(session.scalars(query.order_by(User.slack_id)))


def ops_recipients(session: Session) -> list[str]:
    """Who gets ops alerts: every ops user, or the admins when there is none."""
    for role in (Role.OPS, Role.ADMIN):
        found = list(session.scalars(select(User.slack_id).where(User.role == role).order_by(User.slack_id)))
        if found:
            return found
    return []


def is_ops_or_admin(session: Session, *, slack_id: str) -> bool:
    user = session.get(User, slack_id)
    return user is not None and user.role in ANY_ACCOUNT_ROLES


def manager_of(session: Session, *, slack_id: str) -> User | None:
    user = session.get(User, slack_id)
    if user is None or not user.manager_slack_id:
        return None
    return session.get(User, user.manager_slack_id)


def can_decide_for(user: User | None, *, owner_slack_id: str, owner_manager_slack_id: str | None) -> bool:
    """The owning CSM, the owner's manager, or anyone in ops/admin; nobody else.

    The manager is whoever the owner's `manager_slack_id` names (a team lead may carry the csm
    role); other managers and other CSMs are refused, and so is an unknown user.
    """
    if user is None:
        return False
    if user.role in ANY_ACCOUNT_ROLES:
        return True
    if user.slack_id == owner_slack_id:
        return True
    return owner_manager_slack_id is not None and user.slack_id == owner_manager_slack_id


def visible_owners(session: Session, *, actor: str) -> frozenset[str] | None:
    """Whose accounts `actor` may see (and so be offered as suggestions); None means every account.

    The same people `can_decide_for` lets act: ops and admin see the whole book; anyone else
    their own accounts and those of the people who name them as manager (a manager's team; a
    team lead with the csm role too); a Slack user Tandem does not know sees nothing.
    """
    user = session.get(User, actor)
    if user is None:
        return frozenset()
    if user.role in ANY_ACCOUNT_ROLES:
        return None
    reports = session.scalars(select(User.slack_id).where(User.manager_slack_id == actor))
    return frozenset({actor, *reports})


def may_act_on(session: Session, *, account: Account, actor: str) -> bool:
    """`can_decide_for` with the actor and the account's owner read from the database."""
    owner = session.get(User, account.owner_slack_id)
    return can_decide_for(
        session.get(User, actor),
        owner_slack_id=account.owner_slack_id,
        owner_manager_slack_id=owner.manager_slack_id if owner else None,
    )
