"""The dependencies a workflow or handler needs, built once by app.py and passed down.

Handlers receive a Deps in `register(app, deps)`; tests build one with a frozen clock, a
temporary database and a stand-in Slack API.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session, sessionmaker

from bot.clock import Clock
from bot.metrics import Metrics
from bot.posting import MessagePoster
from bot.settings import Settings
from scoring.money import use_currency_symbol

if TYPE_CHECKING:
    from prompts.drafting import Drafter


@dataclass
class Deps:
    settings: Settings
    session_factory: sessionmaker[Session]
    clock: Clock
    drafter: Drafter
    poster: MessagePoster  # proactive messages: cards, digests (Slack or terminal)
    metrics: Metrics = field(default_factory=Metrics)  # this process's /metrics (bot.metrics)

    def __post_init__(self) -> None:
        # Every amount shown from here on carries the deployment's currency (scoring.money).
        use_currency_symbol(self.settings.currency_symbol)
        self.metrics.watch_backlog(self.session_factory)
