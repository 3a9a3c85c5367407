"""A book for fan-out tests and benchmarks: N CSMs, each owed a few DM cards and a digest.

Built with repository functions, not a cycle, so a test of the posting pool spends its time
posting. Each card has a signal, a draft and a snapshot (what a card renders from); each
digest is owed the way the digest workflow owes it (a DigestRun and a delivery row).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy.orm import Session, sessionmaker

from bot.delivery.digests import DigestRenderer, TouchTiming, digest_key
from bot.delivery.engine import Renderer
from bot.settings import Settings
from bot.workflows.card_posting import CardRenderer
from scoring.types import Decision, Reason, Route, Signal, TriggerKey
from storage.db import transaction
from storage.enums import DeliveryKind
from storage.models import Account, DigestRun, HealthSnapshot, User
from storage.repositories import cards, deliveries, drafts, signals


def csm_id(n: int) -> str:
    return f"U{n:07d}"


def seed_fanout_book(
    factory: sessionmaker[Session], *, csms: int, cards_each: int, as_of: date, now: datetime
) -> None:
    """`csms` CSMs, each owning `cards_each` accounts with a pending DM card, and a digest owed."""
    with transaction(factory) as session:
        session.add_all(
            User(slack_id=csm_id(n), name=f"CSM {n}", role="csm", timezone="UTC", digest_time="08:30")
            for n in range(csms)
        )
        session.flush()  # the accounts name their owners
        accounts = [(f"ACC-{n:05d}-{k}", csm_id(n)) for n in range(csms) for k in range(cards_each)]
        session.add_all(
            Account(account_id=account_id, name=f"Account {account_id}", segment="smb", arr=10_000.0,
                    owner_slack_id=owner)
            for account_id, owner in accounts
        )  # fmt: skip
        session.flush()
        session.add_all(
            HealthSnapshot(account_id=account_id, as_of=as_of, score=48, band="red", confidence=1.0,
                           factors={}, explanation="Red (48)")
            for account_id, _ in accounts
        )  # fmt: skip
        for account_id, owner in accounts:
            decision = Decision(Signal(account_id, TriggerKey.HEALTH_LOW, "Health Red (48)"), Route.ASSIST,
                                (Reason("matrix", "Human with automation assist."),))  # fmt: skip
            signal, _ = signals.record_signal(
                session, decision=decision, as_of=as_of, now=now, config_version=1
            )
            draft = drafts.save_draft(session, account_id=account_id, signal_id=signal.id, kind="check_in",
                                      subject="Checking in", body="Hi there, checking in.", author="template",
                                      prompt_version="check_in@1", facts_hash="x" * 64, prompt_tokens=None,
                                      completion_tokens=None, needs_review=None, now=now)  # fmt: skip
            cards.create_card(session, signal_id=signal.id, account_id=account_id, draft_id=draft.id,
                              recipient_slack_id=owner, now=now)  # fmt: skip
        for n in range(csms):
            session.add(DigestRun(user_slack_id=csm_id(n), local_day=as_of, posted_at=now))
        deliveries.owe(
            session,
            rows=[{"key": digest_key(csm_id(n), as_of), "kind": DeliveryKind.DIGEST.value,
                   "recipient": csm_id(n), "text": f"Your morning digest, CSM {n}",
                   "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "Nothing urgent today."}}]}
                  for n in range(csms)],
            now=now,
        )  # fmt: skip
        deliveries.owe_pending_cards(session, now=now)


def fanout_renderers(settings: Settings) -> dict[DeliveryKind, Renderer]:
    """What the pool posts in one fan-out: first posts of cards, and digests."""
    return {
        DeliveryKind.CARD: CardRenderer(settings),
        DeliveryKind.DIGEST: DigestRenderer(TouchTiming.from_settings(settings)),
    }
