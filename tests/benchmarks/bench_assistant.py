"""Benchmark: the assistant's grammar answers on a seeded book. Not part of the test suite.

Seeds a book (default 200 accounts, 90 days of weekly scores), then asks each read intent N
times (default 200) through the router (`bot.assistant.router.respond`: the grammar, account
resolution within the asker's scope, the read from stored facts), as a CSM about their own
accounts and as ops about any, and prints per intent: mean, median, 95th percentile and max
milliseconds bot-side (no Slack round trip), and how many answers took over the 1 s budget.
The QBR is timed without its Slack upload (`build_qbr`, the same workflow /qbr runs).
No network, no LLM (TemplateDrafter): these are the answers that work with OPENAI_API_KEY unset.

    python tests/benchmarks/bench_assistant.py [--accounts 200] [--questions 200]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

AS_OF = date(2026, 3, 2)
BUDGET_S = 1.0
QUESTIONS = {
    "why_red": "why is {name} red?",
    "how_is": "how is {name} doing?",
    "what_changed": "what changed at {name} since last month?",
    "needs_me": "what needs me today?",
    "renewals": "which of my accounts renew this quarter and how risky?",
    "override_log": "show the override log for {name}",
    "what_sent": "what did Tandem send to {name}?",
    "brief": "brief {name}",
    "draft_checkin": "draft a check-in for {name}",
    "help": "help",
}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--questions", type=int, default=200)
    args = parser.parse_args()

    from sqlalchemy import select

    from bot.assistant.router import respond
    from bot.assistant.types import Turn
    from bot.workflows.qbr import build_qbr
    from storage.db import make_engine, make_session_factory, upgrade
    from storage.enums import Role
    from storage.models import Account, User
    from tests.support.seeded_requests import seed_with_history, seeded_deps

    folder = tempfile.mkdtemp(prefix="tandem-bench-assistant-")
    engine = make_engine(f"sqlite:///{folder}/book.db")
    upgrade(engine)
    deps = seeded_deps(make_session_factory(engine), as_of=AS_OF)
    started = time.perf_counter()
    seed_with_history(deps, accounts=args.accounts, as_of=AS_OF)
    with deps.session_factory() as session:
        accounts = list(session.execute(select(Account.name, Account.owner_slack_id)))
        ops = session.scalar(select(User.slack_id).where(User.role.in_([Role.OPS.value, Role.ADMIN.value])))
    print(
        f"Seeded {len(accounts)} accounts in {time.perf_counter() - started:.1f} s (SQLite, {AS_OF.isoformat()}).\n"
    )

    header = f"{'intent':<15}{'asker':<7}{'n':>5}{'mean ms':>10}{'p50':>8}{'p95':>8}{'max':>8}{'> 1 s':>7}"
    print(header)
    print("-" * len(header))
    worst = 0.0
    for intent, template in [*QUESTIONS.items(), ("qbr", "")]:
        for asker in ("csm", "ops"):
            if asker == "ops" and ops is None:
                continue
            cycle = itertools.cycle(accounts)
            times: list[float] = []
            for i in range(args.questions):
                name, owner = next(cycle)
                requester = owner if asker == "csm" else str(ops)
                mark = time.perf_counter()
                if intent == "qbr":
                    build_qbr(deps, query=name, actor=requester)
                else:
                    turn = Turn(requester, "D0BENCH", f"1.{i}", f"1.{i}", template.format(name=name))
                    reply = respond(deps, turn, [])
                    assert reply.intent == intent, (intent, reply.intent, reply.text[:200])
                times.append(time.perf_counter() - mark)
            times.sort()
            p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
            worst = max(worst, times[-1])
            over = sum(t > BUDGET_S for t in times)
            print(f"{intent:<15}{asker:<7}{len(times):>5}{statistics.mean(times) * 1000:>10.1f}"
                  f"{statistics.median(times) * 1000:>8.1f}{p95 * 1000:>8.1f}{times[-1] * 1000:>8.1f}{over:>7}")  # fmt: skip
    print(f"\nSlowest grammar answer: {worst * 1000:.0f} ms (budget {BUDGET_S * 1000:.0f} ms bot-side).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
