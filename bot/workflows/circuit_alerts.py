"""A tripped circuit breaker: record the trip, alert ops once, and let ops release it.

The alert is owed to every ops user (admins when there is no ops user) once per trip and
person, and delivered like every notice (claimed, retried, failed visibly). Releasing sends the held signals to their CSMs' digests as cards
(an automated touch becomes a human review): after a data scare, a person looks first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from bot.blocks.circuit_alert import TripView, build_circuit_alert
from bot.delivery.notices import deliver_notices, owe_notice
from bot.deps import Deps
from bot.workflows.refused import Refused
from scoring.circuit_breaker import Trip
from scoring.types import Route
from storage.db import transaction
from storage.enums import CardDelivery, DeliveryKind, Role
from storage.models import CircuitBreakerTrip, User
from storage.models import Signal as SignalRow
from storage.repositories import cards, circuit_trips, signals, users

logger = logging.getLogger(__name__)
RELEASE_ROLES = frozenset({Role.OPS, Role.ADMIN})


def trip_view(trip: CircuitBreakerTrip) -> TripView:
    return TripView(
        trip.as_of, trip.trigger, trip.fired, trip.scored, trip.max_share, trip.released_by, trip.released_at
    )


def record_and_alert(deps: Deps, trips: list[Trip], *, as_of: date, config_version: int) -> int:
    """Store the trips and owe every ops user an alert about each (once per trip and person,
    delivered with retries); returns the alerts owed."""
    now = deps.clock.now()
    rows = [
        {
            "as_of": as_of,
            "trigger": trip.trigger.value,
            "fired": trip.fired,
            "scored": trip.scored,
            "max_share": trip.limit,
            "config_version": config_version,
            "tripped_at": now,
        }
        for trip in trips
    ]
    owed = 0
    with transaction(deps.session_factory) as session:
        circuit_trips.record_trips(session, rows=rows)
        recipients = users.ops_recipients(session)
        if not recipients:
            logger.warning("circuit breaker tripped on %s but there is no ops or admin user to alert", as_of)
        for trip in trips:
            stored = circuit_trips.get_trip(session, as_of=as_of, trigger=trip.trigger.value)
            assert stored is not None  # recorded above
            text, blocks = build_circuit_alert(trip_view(stored))
            owe_notice(
                session,
                key=f"breaker:{as_of.isoformat()}:{trip.trigger.value}",
                kind=DeliveryKind.BREAKER_ALERT,
                recipients=recipients,
                text=text,
                blocks=blocks,
                now=now,
            )
            circuit_trips.claim_alert(session, as_of=as_of, trigger=trip.trigger.value, now=now)
            owed += len(recipients)
    deliver_notices(deps)
    return owed


@dataclass(frozen=True)
class Released:
    trigger: str
    cards: int


def release_trip(deps: Deps, *, as_of: date, trigger: str, actor: str) -> Released | Refused:
    now = deps.clock.now()
    with transaction(deps.session_factory) as session:
        user = session.get(User, actor)
        if user is None or user.role not in RELEASE_ROLES:
            return Refused("Only ops or an admin can release a circuit breaker. Nothing was changed.")
        trip = circuit_trips.get_trip(session, as_of=as_of, trigger=trigger)
        if trip is None:
            return Refused(f"There is no circuit-breaker trip for {trigger} on {as_of.isoformat()}.")
        if not circuit_trips.release(session, as_of=as_of, trigger=trigger, by=actor, now=now):
            session.refresh(trip)
            return Refused(f"Already released by <@{trip.released_by}>. Nothing was changed.")
        held = signals.held_by_breaker(session, as_of=as_of, trigger=trigger)
        carded = signals.accounts_carded_on(session, as_of=as_of)
        sentence = (
            f"Released by <@{actor}> after a circuit-breaker hold: a person looks before anything is sent."
        )
        to_card: list[SignalRow] = []
        for signal in held:
            route = str((signal.details or {}).get("held_route", Route.HUMAN.value))
            route = Route.ASSIST.value if route == Route.AUTO.value else route
            codes = ["breaker_released", *signal.reasons.get("codes", [])[1:]]
            sentences = [sentence, *signal.reasons.get("sentences", [])[1:]]
            signals.release_held(
                session, signal_id=signal.id, route=route, reasons={"codes": codes, "sentences": sentences}
            )
            if signal.account_id not in carded and route != Route.HOLD.value:
                carded.add(signal.account_id)
                to_card.append(signal)
        owners = signals.owners_of_fired(session, as_of=as_of, trigger=trigger)
        card_rows = [
            {
                "signal_id": signal.id,
                "account_id": signal.account_id,
                "draft_id": None,
                "recipient_slack_id": owners[signal.account_id],
                "delivery": CardDelivery.DIGEST.value,
            }
            for signal in to_card
        ]
        cards.create_cards(session, rows=card_rows, now=now)
        return Released(trigger, len(card_rows))
