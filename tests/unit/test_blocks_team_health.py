"""The /health and per-role Home builders: ages, snoozes, caps, links, and Slack's limits."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from bot.blocks.home_roles import CsmDay, csm_sections, manager_sections
from bot.blocks.setup_help import setup_blocks, setup_text
from bot.blocks.team_health import (
    BandLine,
    CardLine,
    HealthView,
    Load,
    Mover,
    age_bucket,
    age_label,
    build_health_blocks,
    snooze_line,
)
from bot.workflows.home_manager import message_link, where_to_open
from storage.models import SlackDelivery
from tests.support.block_limits import block_problems

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def card(name: str, hours: float, rung: str = "owner", **kw: object) -> CardLine:
    return CardLine(name, "health_low · assist", rung, NOW - timedelta(hours=hours), **kw)  # type: ignore[arg-type]


def view(**kw: object) -> HealthView:
    values: dict[str, object] = dict(
        title="Your team", people="2 CSMs: Ana, Ben", now=NOW, as_of=date(2026, 3, 2), currency="€",
        bands=(BandLine("red", 2, 120000.0), BandLine("green", 1, 5000.0)), unscored=1,
        movers_up=(Mover("Up Co", 50, 70),), movers_down=(Mover("Down Co", 80, 61),),
        waiting=(card("Old Co", 80, "channel", owner_name="Ben"), card("New Co", 1, owner_name="Ana")),
        snoozed=(), decided={"approved": 3, "dismissed": 1}, budget=10,
        load=(Load("Ana", 12, 4, 1), Load("Ben", 0, 1, 0)),
    )  # fmt: skip
    values.update(kw)
    return HealthView(**values)  # type: ignore[arg-type]


def test_ages_read_short_and_fall_in_buckets() -> None:
    assert [age_label(timedelta(minutes=m)) for m in (0, 59, 60, 60 * 26, 60 * 48)] == [
        "0m",
        "59m",
        "1h",
        "1d 2h",
        "2d",
    ]
    assert [age_bucket(timedelta(hours=h)) for h in (3.9, 4, 30, 80)] == [
        "under 4h",
        "4–24h",
        "1–3 days",
        "over 3 days",
    ]


def test_a_snooze_says_when_it_returns_or_that_it_waits_for_worse() -> None:
    back = NOW + timedelta(days=3)
    timed = snooze_line(card("Acme", 1, snoozed_until=back, snooze_mode="3d"))
    assert f"<!date^{int(back.timestamp())}^" in timed and "or sooner if it gets worse" in timed
    worse = snooze_line(card("Acme", 1, snoozed_until=back + timedelta(days=300), snooze_mode="worse"))
    assert "snoozed until it gets worse" in worse and "<!date" not in worse


def test_the_health_picture_has_every_section_with_money_and_rungs() -> None:
    blocks = build_health_blocks(view())
    text = "\n".join(str(block) for block in blocks)
    assert block_problems(blocks) == []
    assert "*red*: 2 accounts, €120,000 ARR" in text and "*yellow*: 0 accounts, €0 ARR" in text
    assert "not scored yet: 1 account" in text
    assert "Down Co* 80 → 61 (-19)" in text and "Up Co* 50 → 70 (+20)" in text
    assert "in the escalation channel: 1 (over 3 days 1)" in text and "with its CSM: 1 (under 4h 1)" in text
    assert text.index("Old Co") < text.index("New Co")
    assert "approve 3 · edit 0 · take over 0 · dismiss 1" in text
    assert "*Ana*: 12 of 10 cards today (over) · 4 pending · 1 snoozed" in text


def test_long_lists_say_how_many_more() -> None:
    many = tuple(card(f"Co {n}", n) for n in range(40))
    blocks = build_health_blocks(view(waiting=many, load=tuple(Load(f"P{n}", 0, 0, 0) for n in range(40))))
    text = "\n".join(str(block) for block in blocks)
    assert block_problems(blocks) == [] and "…and 32 more" in text and "…and 25 more" in text
    day = CsmDay(NOW, many, many, (), 0, "$", ())
    assert block_problems(csm_sections(day)) == [] and "…and 30 more" in str(csm_sections(day))
    assert block_problems(manager_sections(many, view())) == []


def test_where_a_manager_opens_a_climbed_card() -> None:
    def copy(recipient: str, channel: str, ts: str) -> SlackDelivery:
        return SlackDelivery(recipient=recipient, channel_id=channel, message_ts=ts)

    dm, shared = copy("U0MGR001", "D0MGR", "1.000200"), copy("C0ESC", "C0ESC", "2.000300")
    assert (
        where_to_open([shared, dm], viewer="U0MGR001")
        == f"<{message_link('D0MGR', '1.000200')}|View card> in your DM"
    )
    assert (
        where_to_open([shared], viewer="U0MGR001")
        == "<https://slack.com/archives/C0ESC/p2000300|View card> in <#C0ESC>"
    )
    assert where_to_open([copy("U0CSM001", "D0CSM", "3.1")], viewer="U0MGR001") == ""


def test_setup_help_names_who_to_ask_and_what_csms_csv_needs() -> None:
    text = setup_text(["U0OPS001"])
    assert "<@U0OPS001>" in text and "member id" in text and "email" in text and "`csms.csv`" in text
    assert "the person who runs Tandem" in setup_text([])
    assert block_problems(setup_blocks(["U0OPS001"]), limit=100) == []
