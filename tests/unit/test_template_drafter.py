"""The template drafter: check-ins and briefs from the facts alone, and the checks they share."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path
from types import MappingProxyType

import pytest
from jinja2 import UndefinedError

from prompts.drafting import BriefRequest, DraftRequest, TemplateDrafter, facts_hash, make_drafter
from prompts.rendering import environment, render
from prompts.validation import CELEBRATORY, findings, numbers_in
from scoring.types import ContextEvent, ContextKind, FactorScore, Severity, Ticket

USAGE = "12 of 40 seats active on average over the last 30 days (30%), down 25% on the 30 days before"
SUPPORT = "5 tickets in the last 30 days (2 high or urgent), 3 open, 2 escalation requests"
ONBOARDING = "3 of 5 onboarding steps done, 1 overdue (“SSO setup” was due 2026-02-01)"
CHEERFUL = ("celebrat", "congrat", "exciting", "excited", "thrilled", "great news", "!", "🎉")
ROOT = Path(__file__).resolve().parents[2]


def check_in(**changes: object) -> DraftRequest:
    request = DraftRequest(
        kind="check_in", account_name="Acme Corp", segment="mid_market", arr=60000.0, owner_name="Ana Lima",
        contact_name="Sam", score=48, band="red", explanation="Red (48): usage pulls the score down most",
        trigger="health_low", reasons=("Human with automation assist.",), crisis=False,
        facts={"usage": USAGE, "support": SUPPORT, "onboarding": ONBOARDING},
    )  # fmt: skip
    return replace(request, **changes)  # type: ignore[arg-type]


def brief(**changes: object) -> BriefRequest:
    tickets = (
        Ticket("T-1", datetime(2026, 2, 20, 9, tzinfo=UTC), Severity.NORMAL, "Login slow", "It is slow.",
               closed_at=datetime(2026, 2, 21, tzinfo=UTC)),
        Ticket("T-2", datetime(2026, 2, 27, 9, tzinfo=UTC), Severity.URGENT, "Export failing\nagain", "Broken.",
               is_escalation_request=True),
    )  # fmt: skip
    request = BriefRequest(
        account_name="Acme Corp", account_id="ACC-1", segment="mid_market", arr=60000.0, owner_name="Ana Lima",
        renewal_date=date(2026, 4, 30), score=48, band="red", confidence=0.9,
        explanation="Red (48): usage pulls the score down most",
        factors=(FactorScore("support", 55.4, 0.2, SUPPORT, 5), FactorScore("usage", 30.0, 0.4, USAGE, 30)),
        notes=(), recent_tickets=tickets, context=(), open_signals=("health_low → assist: Human with automation assist.",),
        as_of=date(2026, 3, 2), score_trend=((date(2026, 1, 1), 70), (date(2026, 2, 1), 61)),
    )  # fmt: skip
    return replace(request, **changes)  # type: ignore[arg-type]


def incident(kind: ContextKind = ContextKind.SECURITY_INCIDENT, **extra: object) -> ContextEvent:
    return ContextEvent(kind, datetime(2026, 2, 28, tzinfo=UTC), **extra)  # type: ignore[arg-type]


def test_check_in_is_a_short_email_from_the_csm_with_the_real_usage_figures() -> None:
    result = TemplateDrafter().draft(check_in())
    assert result.subject == "Checking in on Acme Corp"
    assert result.body.startswith("Hi Sam,\n") and result.body.endswith("Best,\nAna Lima")
    assert USAGE in result.body
    assert (result.author, result.prompt_version, result.needs_review) == ("template", "check_in@1", None)
    assert "48" not in result.body and "red" not in result.body.lower(), "the health score is internal"
    assert len(result.body.split()) < 150


def test_check_in_quotes_only_the_main_figure_of_a_long_detail() -> None:
    detail = f"{USAGE}; the last 7 days average 9 active users, down 58%"
    body = TemplateDrafter().draft(check_in(facts={"usage": detail})).body
    assert f"uses the product: {USAGE}. " in body and "58%" not in body


def test_check_in_without_a_contact_name_greets_without_one() -> None:
    assert TemplateDrafter().draft(check_in(contact_name=None)).body.startswith("Hi there,\n")


@pytest.mark.parametrize(
    ("trigger", "figure", "subject"),
    [
        ("health_drop", USAGE, "Checking in on Acme Corp"),
        ("sentiment", SUPPORT, "Checking in on Acme Corp"),
        ("onboarding_stalled", ONBOARDING, "Your Acme Corp onboarding"),
        ("renewal_risk", "2026-04-30", "Your upcoming renewal"),
    ],
)
def test_each_trigger_grounds_the_email_in_its_own_figure(trigger: str, figure: str, subject: str) -> None:
    facts = {"usage": USAGE, "support": SUPPORT, "onboarding": ONBOARDING, "renewal_date": date(2026, 4, 30)}
    result = TemplateDrafter().draft(check_in(trigger=trigger, facts=facts))
    assert figure in result.body and result.subject == subject
    others = {USAGE, SUPPORT, ONBOARDING} - {figure}
    assert not any(other in result.body for other in others)


def test_a_trigger_without_its_figure_falls_back_to_a_plain_check_in() -> None:
    result = TemplateDrafter().draft(check_in(trigger="sentiment", facts={}))
    assert "how things are going for Acme Corp" in result.body and "support requests" not in result.body


@pytest.mark.parametrize(
    "trigger", ["health_low", "sentiment", "onboarding_stalled", "renewal_risk", "complexity"]
)
@pytest.mark.parametrize("crisis", [False, True])
def test_every_figure_in_a_template_check_in_comes_from_the_facts(trigger: str, crisis: bool) -> None:
    request = check_in(trigger=trigger, crisis=crisis)
    result = TemplateDrafter().draft(request)
    known = numbers_in(" ".join(str(value) for value in request.facts.values()))
    assert (
        findings(subject=result.subject, body=result.body, crisis=crisis, known_numbers=known, max_chars=3000)
        == []
    )


def test_during_a_crisis_the_check_in_has_no_cheer_and_no_metrics() -> None:
    result = TemplateDrafter().draft(check_in(crisis=True, trigger="expansion_ready"))
    text = (result.subject + "\n" + result.body).lower()
    assert not [word for word in CHEERFUL if word in text]
    assert CELEBRATORY.search(text) is None
    assert result.subject == "A quick note from Ana Lima" and "12 of 40" not in result.body
    assert "a lot on its plate" in result.body and result.body.endswith("Ana Lima")


def test_brief_has_every_section_with_the_real_figures() -> None:
    result = TemplateDrafter().brief(brief())
    lines = result.body.splitlines()
    assert result.subject == "Brief: Acme Corp" and result.prompt_version == "brief@1"
    assert lines[0] == "*Acme Corp* (ACC-1) · mid market · ARR $60,000 · CSM Ana Lima"
    assert lines[1] == "*Health 48 (red)* · confidence 90% · trend -22 since 2026-01-01"
    assert "*Why:* Red (48): usage pulls the score down most" in lines
    factor_lines = [line for line in lines if "/100" in line]
    assert factor_lines == [
        f"• usage 30/100 (weight 40%): {USAGE}",
        f"• support 55/100 (weight 20%): {SUPPORT}",
    ]
    assert "• 2026-02-27 · urgent · Export failing again (open, escalation request)" in lines
    assert "• 2026-02-20 · normal · Login slow" in lines
    assert lines.index(
        "• 2026-02-27 · urgent · Export failing again (open, escalation request)"
    ) < lines.index("• 2026-02-20 · normal · Login slow"), "newest ticket first"
    assert "*Renewal:* 2026-04-30 (59 days left)" in lines
    assert "• health_low → assist: Human with automation assist." in lines
    assert lines[-1].startswith("*Suggested next step:* A personal call from the CSM this week")
    assert "(usage: 12 of 40 seats" in lines[-1], "the next step names the weakest factor"
    assert "*Data quality:*" not in result.body and "*Context:*" not in result.body


def test_brief_shows_data_quality_notes_and_active_context_and_says_what_to_do() -> None:
    notes = ("A migration started 2026-02-01; usage figures since then may not be reliable.",)
    context = (
        incident(note="customer SOC notified us"),
        ContextEvent(
            ContextKind.MIGRATION, datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
        ),
    )
    body = TemplateDrafter().brief(brief(notes=notes, context=context)).body
    assert f"⚠️ {notes[0]}" in body
    assert "• security incident since 2026-02-28: customer SOC notified us" in body
    assert "• migration since 2026-01-05, ended 2026-02-01" in body
    assert body.endswith("*Suggested next step:* Hold automated outreach; the CSM calls the main contact to ask how we can help, with no sales agenda.")  # fmt: skip
    assert "Check the data first" in TemplateDrafter().brief(brief(notes=notes)).body


def test_a_brief_with_little_data_still_reads_well() -> None:
    body = (
        TemplateDrafter()
        .brief(
            brief(
                renewal_date=None, recent_tickets=(), open_signals=(), score_trend=(), band="green", score=88
            )
        )
        .body
    )
    assert "*Renewal:* no renewal date on record" in body and "trend" not in body
    assert "*Recent tickets:*" not in body and "*Open signals:*" not in body
    assert body.endswith("No action needed; look for expansion at the next business review.")
    assert "2026-04-30 (passed 2 days ago)" in TemplateDrafter().brief(brief(as_of=date(2026, 5, 2))).body


def test_strict_undefined_fails_loudly_on_a_missing_variable() -> None:
    with pytest.raises(UndefinedError, match="owner_name"):
        render("check_in.txt.j2", contact_name="Sam", account_name="Acme", trigger="health_low", crisis=False,
               usage=None, support=None, onboarding=None, renewal_date=None)  # fmt: skip
    with pytest.raises(UndefinedError):
        environment().from_string("Hi {{ contact.first_name }}").render(contact={})


def test_the_facts_hash_is_stable_and_follows_the_facts_and_the_version() -> None:
    request = check_in()
    same = check_in(facts=MappingProxyType(dict(request.facts)))
    assert (
        facts_hash(request, "check_in@1")
        == facts_hash(same, "check_in@1")
        == TemplateDrafter().draft(same).facts_hash
    )
    assert facts_hash(request, "check_in@1") != facts_hash(request, "check_in@2")
    assert facts_hash(request, "check_in@1") != facts_hash(check_in(score=47), "check_in@1")
    assert len(facts_hash(brief(), "brief@1")) == 64


def test_kinds_without_their_own_template_yet_are_written_as_check_ins() -> None:
    assert TemplateDrafter().draft(check_in(kind="renewal_reminder")).prompt_version == "check_in@1"


def test_no_api_key_means_the_template_drafter_and_no_openai_import() -> None:
    assert isinstance(make_drafter(api_key=None, base_url=None, model="m"), TemplateDrafter)
    assert isinstance(
        make_drafter(api_key="  ", base_url="http://127.0.0.1:9/v1", model="m"), TemplateDrafter
    )
    code = "import sys, prompts.drafting as d; d.make_drafter(api_key=None, base_url=None, model='m'); print('openai' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize(
    ("body", "crisis", "finding"),
    [
        ("  ", False, "the body is empty"),
        ("Hi [Name], checking in.", False, "placeholder '[Name]'"),
        ("Hi {{ contact_name }},", False, "placeholder '{{'"),
        ("Congratulations on a great year! 🎉", True, "celebratory tone ('Congratulations')"),
        ("We can offer a 90% discount.", False, "figures not in the account's facts: 90"),
    ],
)
def test_validation_names_what_is_wrong(body: str, crisis: bool, finding: str) -> None:
    problems = findings(subject="Hi", body=body, crisis=crisis, known_numbers={"12", "40"}, max_chars=3000)
    assert any(finding in problem for problem in problems), problems


def test_validation_accepts_figures_written_differently_and_cheer_outside_a_crisis() -> None:
    assert numbers_in("ARR $60,000 on 2026-04-30") == numbers_in("60000.0 2026 04 30")
    body = "Congratulations on 12 of 40 seats, up from 60,000 events!"
    assert (
        findings(subject="Hi", body=body, crisis=False, known_numbers={"12", "40", "60000"}, max_chars=3000)
        == []
    )
