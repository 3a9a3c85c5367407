"""A manager's Home tab: the cards of their team that climbed to them (rung manager, or on to
the escalation channel) on top, each with where to open it, then their team's `/health`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from bot.blocks.home_roles import manager_sections
from bot.blocks.mrkdwn import CHANNEL_ID, slack_link
from bot.workflows.team_health import card_line_of, health_view, scope_of
from storage.enums import Role
from storage.models import SlackDelivery, User
from storage.repositories import team_health, users


def is_manager(session: Session, user: User) -> bool:
    """A manager by role, or a team lead whom others name as their manager."""
    return user.role == Role.MANAGER or bool(team_health.reports_of(session, manager_slack_id=user.slack_id))


def manager_blocks(
    session: Session, user: User, *, now: datetime, currency: str, budget: int
) -> list[dict[str, object]]:
    climbed = team_health.climbed_to(session, manager_slack_id=user.slack_id)
    copies = team_health.card_copies(session, card_ids=[card.card.id for card in climbed])
    names = {person.slack_id: person.name for person in users.list_users(session)}
    lines = [
        card_line_of(card, names, where=where_to_open(copies.get(card.card.id, []), viewer=user.slack_id))
        for card in climbed
    ]
    team = health_view(
        session, scope_of(session, user, yours=True), now=now, currency=currency, budget=budget
    )
    return manager_sections(lines, team)


def message_link(channel_id: str, ts: str) -> str:
    """A message's web address from its channel and ts (Slack opens it in the reader's
    workspace), without a chat.getPermalink call per card."""
    return f"https://slack.com/archives/{channel_id}/p{ts.replace('.', '')}"


def where_to_open(copies: list[SlackDelivery], *, viewer: str) -> str:
    """mrkdwn: the viewer's own copy of the card (their DM), else the escalation channel's."""
    posted = [(c, c.channel_id, c.message_ts) for c in copies]
    mine = [(channel, ts) for c, channel, ts in posted if c.recipient == viewer and channel and ts]
    if mine:
        return f"<{message_link(*mine[-1])}|View card> in your DM"
    shared = [
        (c.recipient, channel, ts)
        for c, channel, ts in posted
        if CHANNEL_ID.fullmatch(c.recipient) and channel and ts
    ]
    if shared:
        recipient, channel, ts = shared[-1]
        return f"<{message_link(channel, ts)}|View card> in {slack_link(recipient) or 'the channel'}"
    return ""
