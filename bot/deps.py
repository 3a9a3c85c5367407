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
from bot.request_ids import ContextCopyingExecutor
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
    # Where stored clicks are decided (bot.workflows.click_inbox); its threads start on first
    # use. A copy of a Deps (Deps(**deps.__dict__)) shares it.
    decisions: ContextCopyingExecutor | None = field(default=None, repr=False)

    @property
    def decision_pool(self) -> ContextCopyingExecutor:
        assert self.decisions is not None  # made in __post_init__
        return self.decisions

    def __post_init__(self) -> None:
        if self.decisions is None:
            self.decisions = ContextCopyingExecutor(
                max_workers=self.settings.decision_workers, thread_name_prefix="decision"
            )
        # Every amount shown from here on carries the deployment's currency (scoring.money).
        use_currency_symbol(self.settings.currency_symbol)
        self.metrics.watch_backlog(self.session_factory)
