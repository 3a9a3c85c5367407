"""The template drafter: every kind from the facts alone (check-in, renewal reminder, onboarding
nudge, expansion note, account brief, QBR brief), and the checks they share with the LLM path."""

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
from prompts.tone import CRISIS, FRUSTRATED, STANDARD
from prompts.validation import CELEBRATORY, findings, numbers_in
from scoring.types import ContextEvent, ContextKind, FactorScore, Severity, Ticket
from tests.support.drafting_factories import qbr

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


def section(result_body: str, title: str) -> list[str]:
    """The bullet lines under one *Title* of a brief."""
    lines = result_body.splitlines()
    start = lines.index(f"*{title}*") + 1
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("• ")), len(lines))
    return lines[start:end]


# --- outreach kinds -----------------------------------------------------------------------------


def test_check_in_is_a_short_email_from_the_csm_with_the_real_usage_figures() -> None:
    result = TemplateDrafter().draft(check_in())
    assert result.subject == "Checking in on Acme Corp"
    assert result.body.startswith("Hi Sam,\n") and result.body.endswith("Best,\nAna Lima")
    assert USAGE.split(";")[0] in result.body
    assert (result.author, result.prompt_version, result.needs_review) == ("template", "check_in@2", None)
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
def test_each_trigger_grounds_the_check_in_in_its_own_figure(trigger: str, figure: str, subject: str) -> None:
    result = TemplateDrafter().draft(check_in(trigger=trigger, details={"renewal_date": "2026-04-30"}))
    assert figure in result.body and result.subject == subject
    assert not any(other in result.body for other in {USAGE, SUPPORT, ONBOARDING} - {figure})


def test_a_frustrated_customer_hears_first_that_their_problems_are_followed() -> None:
    angry = Ticket(
        "T-9", datetime(2026, 2, 27, tzinfo=UTC), Severity.HIGH, "Again", "Furious.", sentiment=-0.7
    )
    body = TemplateDrafter().draft(check_in(tickets=(angry,))).body
    assert body.split("\n\n")[1].startswith("I've seen the problems your team has raised with us recently")
    assert "!" not in body


def test_renewal_reminder_names_the_date_and_the_days_left_and_asks_for_nothing() -> None:
    request = check_in(kind="renewal_reminder", trigger="renewal_reminder",
                       details={"renewal_date": "2026-04-30", "days_to_renewal": 59})  # fmt: skip
    result = TemplateDrafter().draft(request)
    assert (
        result.subject == "Your Acme Corp renewal on 2026-04-30"
        and result.prompt_version == "renewal_reminder@1"
    )
    assert (
        "renews on 2026-04-30 (in 59 days)" in result.body
        and "there is nothing you need to do now" in result.body
    )
    assert not CELEBRATORY.search(result.body) and "discount" not in result.body


def test_onboarding_nudge_names_the_overdue_step() -> None:
    request = check_in(kind="onboarding_nudge", trigger="onboarding_stalled",
                       details={"overdue_step": "SSO setup", "overdue_days": 29})  # fmt: skip
    result = TemplateDrafter().draft(request)
    assert result.subject == "Next step in your Acme Corp onboarding"
    assert "the “SSO setup” step of your onboarding is 29 days past its due date" in result.body
    assert ONBOARDING in result.body


def test_expansion_note_is_an_internal_hand_off_with_the_evidence_and_the_sales_contact() -> None:
    request = check_in(kind="expansion_note", trigger="expansion_ready", details={
        "expansion_readiness": 86, "sales_contact": "<@U0SALES1>", "evidence": ["38 of 40 seats used", "6 features in use"]})  # fmt: skip
    result = TemplateDrafter().draft(request)
    assert result.subject == "Expansion hand-off: Acme Corp" and result.prompt_version == "expansion_note@1"
    lines = result.body.splitlines()
    assert (
        lines[0]
        == "<@U0SALES1>: Acme Corp (mid market, ARR $60,000) looks ready for an expansion conversation."
    )
    assert "- Expansion readiness: 86/100" in lines and "- 38 of 40 seats used" in lines
    assert "Hi Sam" not in result.body and result.body.endswith("Ana Lima")


def test_an_expansion_note_during_a_crisis_says_to_hold() -> None:
    result = TemplateDrafter().draft(check_in(kind="expansion_note", trigger="expansion_ready", crisis=True))
    assert "Hold for now: a crisis context is active" in result.body


@pytest.mark.parametrize("kind", ["check_in", "renewal_reminder", "onboarding_nudge", "expansion_note"])
@pytest.mark.parametrize(
    "trigger", ["health_low", "sentiment", "onboarding_stalled", "renewal_risk", "complexity"]
)
@pytest.mark.parametrize("crisis", [False, True])
def test_every_figure_in_a_template_draft_comes_from_the_facts(kind: str, trigger: str, crisis: bool) -> None:
    details = {"renewal_date": "2026-04-30", "days_to_renewal": 59, "overdue_step": "SSO setup", "overdue_days": 29,
               "expansion_readiness": 86, "evidence": ["38 of 40 seats used"]}  # fmt: skip
    request = check_in(kind=kind, trigger=trigger, crisis=crisis, details=details)
    result = TemplateDrafter().draft(request)
    known = numbers_in(" ".join(str(v) for v in [*request.facts.values(), *details.values(), request.arr,
                                                  request.score]))  # fmt: skip
    known.add("100")  # the 0-100 scale of a score ("86/100"), which the LLM prompt states too
    register = CRISIS if crisis else STANDARD
    assert findings(subject=result.subject, body=result.body, crisis=crisis, known_numbers=known, max_chars=3000,
                    register=register) == []  # fmt: skip


def test_during_a_crisis_the_check_in_has_no_cheer_and_no_metrics() -> None:
    result = TemplateDrafter().draft(check_in(crisis=True, trigger="expansion_ready"))
    text = (result.subject + "\n" + result.body).lower()
    assert not [word for word in CHEERFUL if word in text]
    assert result.subject == "A quick note from Ana Lima" and "12 of 40" not in result.body
    assert "a lot on its plate" in result.body and result.body.endswith("Ana Lima")


def test_an_unknown_kind_is_written_as_a_check_in() -> None:
    assert TemplateDrafter().draft(check_in(kind="something_new")).prompt_version == "check_in@2"


# --- briefs ------------------------------------------------------------------------------------


def test_brief_has_every_section_with_the_real_figures_and_cites_each_claim() -> None:
    result = TemplateDrafter().brief(brief())
    lines = result.body.splitlines()
    assert result.subject == "Brief: Acme Corp" and result.prompt_version == "brief@2"
    assert lines[:4] == ["*Brief: Acme Corp*", "ACC-1 · mid market · ARR $60,000 · CSM Ana Lima",
                         "Health 48 (red) · confidence 90%", "Renewal: 2026-04-30 (59 days left)"]  # fmt: skip
    assert section(result.body, "Health and why") == [
        f"• Usage factor, 2026-03-02: 30/100 (weight 40%): {USAGE} [F-usage]",
        f"• Support factor, 2026-03-02: 55/100 (weight 20%): {SUPPORT} [F-support]",
    ]
    assert section(result.body, "Support") == [
        "• Ticket T-2, urgent, opened 2026-02-27, open, escalation request. [T-2]",
        "• Ticket T-1, normal, opened 2026-02-20, closed 2026-02-21. [T-1]",
    ], "newest first"
    assert (
        "• Score path: 70 on 2026-01-01 to 48 on 2026-03-02 (-22 points); low 48, high 70; 3 of 90 days have a score [H2]"
        in lines
    )
    (step,) = section(result.body, "Suggested next steps")
    assert step == "• A personal call from the CSM this week, with a plan for usage. [F-usage]"
    sources = lines[lines.index("*Sources*") + 1 :]
    assert (
        "[T-2] ticket T-2, urgent, opened 2026-02-27, open, escalation request — “Export failing again”"
        in sources
    )
    document = result.document
    assert document is not None and all(c.sources for s in document.sections for c in s.claims)
    assert {sid for s in document.sections for c in s.claims for sid in c.sources} <= {
        s.id for s in document.sources
    }


def test_brief_shows_data_quality_notes_and_active_context_and_says_what_to_do() -> None:
    notes = ("A migration started 2026-02-01; usage figures since then may not be reliable.",)
    context = (
        incident(note="customer SOC notified us"),
        ContextEvent(
            ContextKind.MIGRATION, datetime(2026, 1, 5, tzinfo=UTC), datetime(2026, 2, 1, tzinfo=UTC)
        ),
    )
    body = TemplateDrafter().brief(brief(notes=notes, context=context)).body
    assert f"• Data quality: {notes[0]} [N1]" in body
    assert "• Security incident since 2026-02-28 (active; customer SOC notified us). [E2]" in body
    assert "• Migration since 2026-01-05, ended 2026-02-01 (over). [E1]" in body
    assert section(body, "Suggested next steps") == [
        "• Hold automated outreach; the CSM calls the main contact to ask how we can help, with no sales agenda. [E2]"
    ]
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
    assert "Renewal: no renewal date on record" in body and "Score path" not in body
    assert section(body, "Support") == ["• Nothing on record for this period."]
    assert section(body, "Suggested next steps") == [
        "• No action needed; look for expansion at the next business review. [H1]"
    ]
    assert "2026-04-30 (passed 2 days ago)" in TemplateDrafter().brief(brief(as_of=date(2026, 5, 2))).body


def test_qbr_brief_has_the_eight_sections_with_citations_and_an_agenda() -> None:
    result = TemplateDrafter().qbr(qbr())
    document = result.document
    assert document is not None and result.prompt_version == "qbr@1" and result.author == "template"
    assert [s.title for s in document.sections] == [
        "Executive summary", "Usage and adoption", "Value delivered", "Support history", "Health trend", "Risks",
        "Expansion opportunities", "Proposed agenda",
    ]  # fmt: skip
    assert "Period reviewed: 2025-12-03 to 2026-03-02" in document.header
    usage = section(result.body, "Usage and adoption")
    assert (
        usage[1]
        == "• Daily active users, 2025-12-03 to 2026-01-01: average 21 daily active users of 40 licensed seats (53%) [U2]"
    )
    value = section(result.body, "Value delivered")
    assert "• Onboarding step “SSO setup” completed 2026-01-25 (due 2026-01-20). [O2]" in value
    assert (
        "• Tickets resolved, 2025-12-03 to 2026-03-02: 1 ticket resolved, median 2.0 days to resolve [S2]"
        in value
    )
    risks = section(result.body, "Risks")
    assert "• Overdue: onboarding step “Admin training” (not done, due 2026-02-15). [O3]" in risks
    assert "• Renewal: 2026-04-30 (59 days left); churn risk at renewal 32% [R1]" in risks
    agenda = section(result.body, "Proposed agenda")
    assert 4 <= len(agenda) <= 6 and agenda[0] == "• The quarter in review: usage and adoption. [U1]"
    assert {sid for s in document.sections for c in s.claims for sid in c.sources} <= {
        s.id for s in document.sources
    }


def test_a_qbr_with_fewer_snapshots_than_days_says_so_instead_of_inventing_points() -> None:
    result = TemplateDrafter().qbr(qbr(days_with_scores=12))
    assert "12 of 90 days have a score" in result.body


def test_a_qbr_for_an_account_ready_to_expand_puts_it_on_the_agenda() -> None:
    agenda = section(TemplateDrafter().qbr(qbr(expansion_readiness=86)).body, "Proposed agenda")
    assert "• Where more teams could use the product next. [X1]" in agenda


# --- templates, hashes, the factory, validation ------------------------------------------------


def test_strict_undefined_fails_loudly_on_a_missing_variable() -> None:
    with pytest.raises(UndefinedError, match="owner_name"):
        render("check_in.txt.j2", contact_name="Sam", account_name="Acme", trigger="health_low", crisis=False,
               register="standard", usage=None, support=None, onboarding=None, renewal_date=None)  # fmt: skip
    with pytest.raises(UndefinedError):
        environment().from_string("Hi {{ contact.first_name }}").render(contact={})


def test_the_facts_hash_is_stable_and_follows_the_facts_and_the_version() -> None:
    request = check_in()
    same = check_in(facts=MappingProxyType(dict(request.facts)))
    assert (
        facts_hash(request, "check_in@2")
        == facts_hash(same, "check_in@2")
        == TemplateDrafter().draft(same).facts_hash
    )
    assert facts_hash(request, "check_in@2") != facts_hash(request, "check_in@3")
    assert facts_hash(request, "check_in@2") != facts_hash(check_in(score=47), "check_in@2")
    assert len(facts_hash(brief(), "brief@2")) == 64


def test_no_api_key_means_the_template_drafter_and_no_openai_import() -> None:
    assert isinstance(make_drafter(api_key=None, base_url=None, model="m"), TemplateDrafter)
    assert isinstance(
        make_drafter(api_key="  ", base_url="http://127.0.0.1:9/v1", model="m"), TemplateDrafter
    )
    code = (
        "import sys, prompts.drafting as d; from tests.support.drafting_factories import qbr; "
        "t = d.make_drafter(api_key=None, base_url=None, model='m'); t.qbr(qbr()); print('openai' in sys.modules)"
    )
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
        ("We will waive the fee.", False, "commercial promise the facts do not hold (waive)"),
        ("Reset it at www.evil.example now.", False, "a link or address that is not in the facts"),
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


def test_a_frustrated_register_refuses_marketing_voice_and_exclamation_marks() -> None:
    problems = findings(subject="Hi", body="Our world-class team is on it!", crisis=False, max_chars=3000,
                        register=FRUSTRATED)  # fmt: skip
    assert problems == ["marketing voice ('world-class') for a frustrated customer",
                        "an exclamation mark for a frustrated customer"]  # fmt: skip


def test_naming_the_blocked_tone_is_not_cheer_but_cheer_is() -> None:
    quoted_rule = "On hold: automated outreach paused and celebratory tone blocked."
    assert findings(subject="Brief", body=quoted_rule, crisis=True, max_chars=3000) == []
    assert findings(subject="Brief", body="Let's celebrate the renewal.", crisis=True, max_chars=3000) == [
        "celebratory tone ('celebrate') during an active crisis"
    ]


def test_amounts_carry_the_deployments_currency_symbol() -> None:
    from scoring.money import DEFAULT_SYMBOL, use_currency_symbol

    request = check_in(
        kind="expansion_note", trigger="expansion_ready", details={"sales_contact": "<@U0SALES1>"}
    )
    use_currency_symbol("€")
    try:
        body = TemplateDrafter().draft(request).body
    finally:
        use_currency_symbol(DEFAULT_SYMBOL)
    assert "(mid market, ARR €60,000)" in body and "$" not in body
