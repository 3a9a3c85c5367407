"""Bolt listeners, one module per surface; each exposes `register(app, deps)`."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from handlers import (
    assistant,
    assistant_actions,
    audit_cards,
    auto_touches,
    brief_command,
    calibration,
    cards,
    channel_links,
    circuit_breaker,
    conversation_events,
    deliveries,
    digest_cards,
    dismiss,
    edit_modal,
    errors,
    exceptions,
    flag_command,
    hand_off,
    health_command,
    home,
    ops_home,
    outreach,
    qbr_command,
    snooze,
    tuning,
    veto_command,
)


def register_all(app: App, deps: Deps) -> None:
    errors.register(app, deps)
    conversation_events.register(app, deps)  # a middleware: before every listener
    # Bolt tries listeners in the order registered, each costing a matcher call: message events
    # are the most frequent request, so their listener comes first (no other matches its events).
    assistant.register(app, deps)
    cards.register(app, deps)
    audit_cards.register(app, deps)
    edit_modal.register(app, deps)
    dismiss.register(app, deps)
    brief_command.register(app, deps)
    qbr_command.register(app, deps)
    flag_command.register(app, deps)
    health_command.register(app, deps)
    home.register(app, deps)
    ops_home.register(app, deps)
    auto_touches.register(app, deps)
    digest_cards.register(app, deps)
    circuit_breaker.register(app, deps)
    deliveries.register(app, deps)
    outreach.register(app, deps)
    veto_command.register(app, deps)
    exceptions.register(app, deps)
    tuning.register(app, deps)
    calibration.register(app, deps)
    hand_off.register(app, deps)
    snooze.register(app, deps)
    assistant_actions.register(app, deps)
    channel_links.register(app, deps)
