"""A CSM's veto: "always human" on an account, until they lift it (`/veto`, or a card's menu).

Setting it cancels the account's automated touches still in their hold window; lifting it also
ends a take-over's pause, so automation resumes. Both are override-log rows: ops sees who
overrode automation on which account and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot.blocks.hand_off import handed_back_line
from bot.deps import Deps
from bot.workflows.account_lookup import resolve_account
from bot.workflows.auto_touches import cancel_queued_touches
from bot.workflows.hand_off.hand_back import PacketUpdate, close_packets, update_packets
from bot.workflows.refused import Refused
from storage.db import transaction
from storage.models import Account, EscalationCard
from storage.repositories import accounts, overrides, users

USAGE = (
    "Usage: `/veto ACCOUNT: why` keeps a person on every touchpoint of the account; "
    "`/veto lift ACCOUNT` hands it back to automation."
)
SEPARATOR = re.compile(r"\s*(?:\||:|—|–|\s-\s)\s*")
LIFT_WORDS = ("lift ", "off ", "remove ")


@dataclass(frozen=True)
class VetoSet:
    account_name: str
    on: bool
    cancelled: int  # automated touches stopped in their hold window
    packets: tuple[PacketUpdate, ...] = ()  # hand-off packets whose Hand back the lift answered


VetoOutcome = VetoSet | Refused


def parse(text: str) -> tuple[bool, str, str]:
    """(veto on?, account query, note) from "/veto Acme: why" or "/veto lift Acme"."""
    text = text.strip()
    lowered = text.lower()
    on = True
    for word in LIFT_WORDS:
        if lowered.startswith(word):
            on, text = False, text[len(word) :].strip()
            break
    parts = SEPARATOR.split(text, maxsplit=1)
    return on, parts[0].strip(), (parts[1].strip() if len(parts) > 1 else "")


def veto_from_command(deps: Deps, *, text: str, actor: str) -> VetoOutcome:
    on, query, note = parse(text)
    if not query:
        return Refused(USAGE)
    with deps.session_factory() as session:
        found = resolve_account(
            session, query=query, actor=actor, command="/veto", action="change its veto",
            outcome="Nothing was changed.",
        )  # fmt: skip
        if not isinstance(found, Account):
            return Refused(found.message())
        account_id = found.account_id
    return set_veto(deps, account_id=account_id, actor=actor, on=on, note=note)


def veto_from_card(deps: Deps, *, card_id: int, actor: str) -> VetoOutcome:
    with deps.session_factory() as session:
        card = session.get(EscalationCard, card_id)
        if card is None:
            return Refused("This card no longer exists.")
        account_id = card.account_id
    return set_veto(deps, account_id=account_id, actor=actor, on=True, note="from a card")


def set_veto(deps: Deps, *, account_id: str, actor: str, on: bool, note: str = "") -> VetoOutcome:
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        account = session.get(Account, account_id)
        if account is None:
            return Refused(f"Unknown account {account_id}.")
        if not users.may_act_on(session, account=account, actor=actor):
            return Refused(
                "Only the account's CSM, their manager, or ops can change its veto. Nothing was changed."
            )
        if on and account.always_human:
            return Refused(f"{account.name} is already “always human” (set by <@{account.always_human_by}>).")
        if not on and not account.always_human and account.human_handled_by is None:
            return Refused(f"{account.name} has no veto to lift; automation already handles it as usual.")
        accounts.set_always_human(session, account_id=account_id, on=on, by=actor)
        cancelled = 0
        packets: tuple[PacketUpdate, ...] = ()
        if on:
            cancelled = cancel_queued_touches(
                session, account_id=account_id, actor=actor, now=now, reason="the CSM's veto"
            )
        elif account.human_handled_by is not None:  # lifting the veto ends a take-over's hold too
            accounts.clear_human_handled(session, account_id=account_id)
            packets = close_packets(session, account, handed_back_line(by=actor, at=now, automatic=False,
                                                                       veto_lifted=True))  # fmt: skip
        overrides.record_account_action(
            session,
            account_id=account_id,
            action="vetoed" if on else "veto_lifted",
            actor=actor,
            now=now,
            reason=note or None,
        )
        outcome = VetoSet(account.name, on, cancelled, packets)
    update_packets(deps, outcome.packets)  # the packets' Hand back gives way to who ended the hold
    return outcome


def describe(outcome: VetoOutcome) -> str:
    if isinstance(outcome, Refused):
        return outcome.message
    if outcome.on:
        stopped = f" {outcome.cancelled} queued automated message(s) cancelled." if outcome.cancelled else ""
        return (
            f"{outcome.account_name} is now “always human”: every touchpoint goes to a person until you "
            f"lift it with `/veto lift {outcome.account_name}`.{stopped}"
        )
    return f"Veto lifted: automation handles {outcome.account_name} as usual again."
