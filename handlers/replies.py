"""What a clicker is told privately when their click changes nothing."""

from __future__ import annotations

from bot.workflows.card_decisions import AlreadyDecided, InvalidInput, NotAuthorized, NotFound, Outcome

NOT_AUTHORIZED = "Only the account's CSM, their manager, or ops can decide on this card. Nothing was changed."


def private_reply(outcome: Outcome) -> str | None:
    """The ephemeral text for an outcome that changed nothing; None when the card changed."""
    if isinstance(outcome, AlreadyDecided):
        when = f" at {outcome.decided_at:%Y-%m-%d %H:%M} UTC" if outcome.decided_at else ""
        return f"Already handled: {outcome.state.replace('_', ' ')} by <@{outcome.decided_by}>{when}. Nothing was changed."
    if isinstance(outcome, NotAuthorized):
        return NOT_AUTHORIZED
    if isinstance(outcome, NotFound):
        return "This card no longer exists."
    if isinstance(outcome, InvalidInput):
        return outcome.message
    return None
