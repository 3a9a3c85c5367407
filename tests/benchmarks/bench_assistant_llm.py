"""Benchmark: the assistant's tool-calling prompt and LLM path on a seeded book. Not part of the
test suite.

Prints the largest question's prompt (the final round of a renewals question over every account:
three tool rounds filling the data budget, the longest history and question kept) in tokens, per
part, with o200k_base (gpt-4o / gpt-4o-mini) and cl100k_base, both counted offline by toktok-rs,
and its estimated cost at the configured model's list price; then the wall time of N free-form
questions through `llm_reply` (a read tool call, then the final answer: two model calls each)
against a local OpenAI-compatible server answering after a fixed latency. No network.

    python tests/benchmarks/bench_assistant_llm.py [--accounts 200] [--questions 20] [--latency 0.3]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from datetime import time as clock_time
from pathlib import Path
from statistics import median

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

AS_OF = date(2026, 3, 2)
BUDGET = 3000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--questions", type=int, default=20)
    parser.add_argument(
        "--latency", type=float, default=0.3, help="seconds the local server takes per answer"
    )
    args = parser.parse_args()

    from bot.assistant import llm
    from bot.assistant.types import Ask, Reply, Turn
    from bot.clock import FrozenClock
    from bot.deps import Deps
    from bot.settings import Settings
    from prompts.drafting import TemplateDrafter
    from prompts.pricing import price_for
    from storage.db import make_engine, make_session_factory, upgrade
    from storage.synthetic import generate_book
    from tests.support.assistant_prompts import count_parts, largest_prompt, renewals_over_the_book
    from tests.support.openai_server import Behaviour, FakeOpenAI
    from tests.support.recording_poster import RecordingPoster

    folder = tempfile.mkdtemp(prefix="tandem-bench-assistant-")
    engine = make_engine(f"sqlite:///{folder}/book.db")
    upgrade(engine)
    clock = FrozenClock(datetime.combine(AS_OF, clock_time(9), tzinfo=UTC))
    settings = Settings()
    deps = Deps(settings=settings, session_factory=make_session_factory(engine), clock=clock,
                drafter=TemplateDrafter(), poster=RecordingPoster())  # fmt: skip
    generate_book(deps.session_factory, accounts=args.accounts, seed=7, as_of=AS_OF)
    data = renewals_over_the_book(deps)
    messages = largest_prompt(deps, data)
    model = settings.llm.model
    price = price_for(model, input_per_mtok=settings.llm.input_price_per_mtok,
                      output_per_mtok=settings.llm.output_price_per_mtok)  # fmt: skip
    o200k, cl100k = count_parts(messages, "o200k_base"), count_parts(messages, "cl100k_base")
    print(f"Largest question on a {args.accounts}-account book (renewals read: {len(data):,} characters, cut to the "
          f"data budget of {llm.DATA_BUDGET_BYTES:,} bytes over {llm.MAX_TOOL_ROUNDS} tool rounds).")  # fmt: skip
    print(f"{'part':<14}{'o200k':>8}{'cl100k':>8}")
    for part in o200k:
        print(f"{part:<14}{o200k[part]:>8}{cl100k[part]:>8}")
    total_o, total_c = sum(o200k.values()), sum(cl100k.values())
    print(
        f"{'total':<14}{total_o:>8}{total_c:>8}   budget {BUDGET}: {'ok' if max(total_o, total_c) < BUDGET else 'OVER'}"
    )
    if price:
        # a question costs up to four calls; the largest is the last, the others carry less data
        print(f"Estimated cost of that final call at {model}'s price: ${price.cost(total_o, 150):.5f} "
              f"(150 completion tokens); four calls at most: < ${4 * price.cost(total_o, 150):.5f}.")  # fmt: skip

    def read(turn: Turn, ask: Ask) -> Reply:
        return Reply(data[:2000], ask.intent.value, sources=("renewals",), account_id=None)

    def propose(turn: Turn, ask: Ask) -> Reply:
        return Reply("Proposed.", ask.intent.value)

    with FakeOpenAI(latency=args.latency) as server:
        deps.settings = Settings(**{"OPENAI_API_KEY": "sk-bench", "OPENAI_BASE_URL": server.base_url,  # type: ignore[arg-type]
                                    "OPENAI_MODEL": model, "OPENAI_MAX_RETRIES": 0})  # fmt: skip
        for _ in range(args.questions):
            server.script(Behaviour.tool_call("ask_tandem", {"intent": "renewals", "account": None}),
                          Behaviour.final("Several accounts renew this quarter."))  # fmt: skip
        turn = Turn(
            requester="U1",
            channel="D1",
            thread_ts="1.0",
            ts="1.0",
            text="whats renewing soon and is it risky",
        )
        started = time.perf_counter()
        walls = []
        for _ in range(args.questions):
            one = time.perf_counter()
            reply = llm.llm_reply(deps, turn, [], run_read=read, propose=propose)
            walls.append(time.perf_counter() - one)
            assert reply is not None and reply.via.startswith("llm:")
        total = time.perf_counter() - started
    overhead = [w - 2 * args.latency for w in walls]
    print(f"\n{args.questions} questions through llm_reply (2 calls each, server latency {args.latency:g} s): "
          f"{total:.2f} s; bot-side overhead per question: median {1000 * median(overhead):.1f} ms, "
          f"max {1000 * max(overhead):.1f} ms (the first loads the openai client).")  # fmt: skip
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
