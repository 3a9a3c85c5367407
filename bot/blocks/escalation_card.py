"""The escalation card: a pure function of a CardView (its route and state decide its buttons).

Pending cards with a proposed send get Approve / Edit / Take over; `human` and `escalate`
cards only Take over (there is nothing for Tandem to send), and a draft they carry (a
frustrated customer, a crisis) is shown as talking points, never sent; `hold` cards are
informational. Once decided, the same builder renders who decided and when in place of the
buttons.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ButtonElement,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    Option,
    OverflowMenuElement,
    SectionBlock,
)

from bot.blocks.citation import citation_mrkdwn
from bot.blocks.mrkdwn import BAND_EMOJI, escape, escape_keeping, money, restore_mentions, truncate
from bot.blocks.slack_dates import slack_time
from bot.ids import CardAction, CardBlock, CardMenu
from bot.trends import describe_trend
from bot.workflows.card_views import CardView

SECTION_LIMIT = 3000  # Slack's limit for a section's text
INTERNAL_NOTE_KINDS = frozenset({"expansion_note"})  # drafts for colleagues: shown, never sent
HEADER_LIMIT = 150
CONTEXT_LIMIT = 2000
SUBJECT_SHOWN = 150  # characters of the subject shown in the draft heading
TRUNCATED_NOTE = "\n_…shortened here; the full text is what gets sent (open Edit to read it all)._"
TALKING_POINTS = (
    "*Talking points* (not sent: a starting point in the tone this moment needs; say it your way)"
)

ROUTE_LABELS = {
    "assist": "Assist: review the draft",
    "auto": "Automated send, held for your review",
    "human": "Human: you handle it",
    "escalate": "Escalate: you and your manager, now",
    "hold": "On hold",
}
ROUTE_NOTES = {
    "human": "🤝 No automated send: Tandem won't contact the customer. Click *Take over* when you've got it.",
    "escalate": "🚨 Escalation. No automated send: click *Take over* when you've got it; unanswered, it climbs to your manager.",
    "hold": "⏸️ On hold: nothing will be sent automatically. This card is for your information; nothing to decide.",
}
OUTCOMES = {
    "approved": "✅ Approved by {who} at {when} — the draft is queued to send.",
    "edited": "✏️ Edited and approved by {who} at {when} — the edited text is queued to send.",
    "taken_over": "🙋 Taken over by {who} at {when} — this account is now human-handled; automation paused.",
    "dismissed": "🚫 Dismissed by {who} at {when}.",
}
DRAFT_HEADINGS = {
    "pending": "*Proposed message*",
    "approved": "*Approved message* (queued to send)",
    "edited": "*Edited message* (queued to send)",
}


def build_card_message(view: CardView) -> tuple[str, list[dict[str, Any]]]:
    """The plain-text fallback and the blocks for one card."""
    route_label = ROUTE_LABELS.get(view.route, view.route)
    trigger = view.trigger.replace("_", " ")
    text = f"{escape(view.account_name)}: {trigger} · {route_label} · health {_health(view)}"
    blocks: list[Block] = []
    if view.note:  # why this copy exists: sent to the manager, the channel, back from a snooze
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(view.note, SECTION_LIMIT))))
        text = f"{_plain(view.note)} — {text}"
    blocks += [
        HeaderBlock(
            text=truncate(f"{_band_emoji(view)} {view.account_name} · health {_health(view)}", HEADER_LIMIT)
        ),
        SectionBlock(fields=_fields(view, route_label)),
    ]
    if view.crisis:  # what this moment is about comes first: the person reaches out
        blocks.append(SectionBlock(text=MarkdownTextObject(text=truncate(f"⚠️ *{escape(view.crisis)}*"))))
    blocks += [
        SectionBlock(
            block_id=CardBlock.WHY,
            text=MarkdownTextObject(
                text=truncate(f"*Why:* {escape_keeping(_why(view), view.mentions)}", SECTION_LIMIT)
            ),
            accessory=_more_menu(view),
        ),
    ]
    if view.citations:  # the customer's own words: data, fenced and short, with the link
        cited = "\n".join(citation_mrkdwn(citation) for citation in view.citations)
        blocks.append(
            SectionBlock(
                block_id=CardBlock.CITED,
                text=MarkdownTextObject(text=truncate(f"*In their channel*\n{cited}", SECTION_LIMIT)),
            )
        )
    if view.trend:
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=f"Trend: {describe_trend(view.trend)}")])
        )
    if view.evidence:
        lines = "\n".join(f"• {escape(line)}" for line in view.evidence)
        blocks.append(
            ContextBlock(elements=[MarkdownTextObject(text=truncate(f"*Evidence*\n{lines}", CONTEXT_LIMIT))])
        )
    others = [reason for reason in view.reasons if reason != view.crisis]
    if others:
        reasons = truncate(escape_keeping(" ".join(others), view.mentions), CONTEXT_LIMIT)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=reasons)]))
    if view.draft_body is not None and view.proposes_send:
        blocks.extend(_draft_blocks(view))
    elif view.draft_body is not None and view.draft_kind in INTERNAL_NOTE_KINDS:
        heading = "*Hand-off note for sales* (internal, never sent to the customer)"
        quoted, _ = quote_within(view.draft_body, SECTION_LIMIT - len(heading) - 1)
        quoted = restore_mentions(quoted, view.mentions)  # the note names who to bring in
        blocks.append(SectionBlock(text=MarkdownTextObject(text=f"{heading}\n{quoted}")))
    elif view.draft_body is not None:
        blocks.extend(_draft_blocks(view, heading=TALKING_POINTS))
    note = ROUTE_NOTES.get(view.route)
    if note and view.is_pending:
        blocks.append(SectionBlock(text=MarkdownTextObject(text=note)))
    if view.attention:
        lines = "\n".join(view.attention)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=truncate(lines, CONTEXT_LIMIT))]))
    blocks.append(DividerBlock())
    if view.is_pending:
        actions = _actions(view)
        if actions is not None:
            blocks.append(actions)
    else:
        outcome = outcome_line(view)
        blocks.append(ContextBlock(elements=[MarkdownTextObject(text=outcome)]))
        text = f"{text} — {outcome}"
    return text, [block.to_dict() for block in blocks]


def outcome_line(view: CardView) -> str:
    """'✅ Approved by <@U…> at <time> — …' for a decided card (the time in the reader's zone)."""
    when = slack_time(view.decided_at) if view.decided_at else "an unknown time"
    who = f"<@{view.decided_by}>" if view.decided_by else "someone"
    line = OUTCOMES.get(view.state, "Decided by {who} at {when}.").format(who=who, when=when)
    if view.state == "dismissed" and view.dismiss_reason:
        line = f"{line.rstrip('.')} — {view.dismiss_reason.replace('_', ' ')}."
    return line


def build_manager_notice(view: CardView, *, csm_slack_id: str) -> tuple[str, list[dict[str, Any]]]:
    """The short DM a manager gets the moment a card escalates (design: escalate goes to the CSM
    and their manager at once): no buttons, the card is with the CSM. If it stays unanswered the
    ladder sends the manager the card itself (bot.workflows.ladder)."""
    text = f"Escalation: {escape(view.account_name)} needs <@{csm_slack_id}> and you now"
    summary = escape_keeping(" ".join(view.reasons) or view.why, view.mentions)
    section = SectionBlock(
        text=MarkdownTextObject(
            text=truncate(
                f"🚨 *{escape(view.account_name)}* ({escape(view.account_id)}) · {money(view.arr)} · "
                f"health {_health(view)}\n{summary}\nThe card is with <@{csm_slack_id}>; if it waits "
                "unanswered, it comes to you with its buttons.",
                SECTION_LIMIT,
            )
        )
    )
    return text, [section.to_dict()]


def _health(view: CardView) -> str:
    return f"{view.score} ({view.band})" if view.score is not None else "not scored"


def _band_emoji(view: CardView) -> str:
    return BAND_EMOJI.get(view.band or "", "⚪")


def _fields(view: CardView, route_label: str) -> list[MarkdownTextObject]:
    trigger = f"*Trigger*\n`{escape(view.trigger)}`"
    if view.also_fired:
        trigger += f" (also {escape(', '.join(view.also_fired))})"
    return [
        MarkdownTextObject(
            text=truncate(f"*Account*\n{escape(view.account_id)} · {view.segment.replace('_', ' ')}", 2000)
        ),
        MarkdownTextObject(text=f"*ARR*\n{money(view.arr)}"),
        MarkdownTextObject(text=truncate(trigger, 2000)),
        MarkdownTextObject(text=f"*Route*\n{escape(route_label)}"),
    ]


def _why(view: CardView) -> str:
    if view.explanation and view.explanation not in view.why:
        return f"{view.why}\n{view.explanation}"
    return view.why


def _draft_blocks(view: CardView, *, heading: str | None = None) -> list[Block]:
    """The draft quoted under its heading, and who wrote it. `heading` None: a proposed send."""
    body = view.final_text if view.state == "edited" and view.final_text else view.draft_body or ""
    cut_note = TRUNCATED_NOTE if heading is None else "\n_…shortened here._"
    heading = heading or DRAFT_HEADINGS.get(view.state, "*Proposed message* (not sent)")
    if view.draft_subject:
        heading += f" — _{escape(truncate(view.draft_subject, SUBJECT_SHOWN))}_"
    quoted, complete = quote_within(body, SECTION_LIMIT - len(heading) - 1 - len(cut_note))
    section = f"{heading}\n{quoted}" + ("" if complete else cut_note)
    author = view.draft_author or "template"
    notes = [
        "Drafted by template (no LLM)"
        if author == "template"
        else f"Drafted by LLM ({escape(author.removeprefix('llm:'))})"
    ]
    if view.needs_review:
        notes.append(f"⚠️ Needs human review: {escape(view.needs_review)}")
    return [
        SectionBlock(text=MarkdownTextObject(text=section)),
        ContextBlock(elements=[MarkdownTextObject(text=truncate(" · ".join(notes), CONTEXT_LIMIT))]),
    ]


def quote_within(body: str, budget: int) -> tuple[str, bool]:
    """The body as an escaped mrkdwn block quote of at most `budget` characters.

    Cuts between characters of the original text, never inside an escape like `&amp;`, and
    says whether the whole body fit.
    """
    lines: list[str] = []
    used = 0
    for raw in body.splitlines() or [""]:
        prefix = "> " if raw else ">"
        separator = 1 if lines else 0  # the line break before this line
        room = budget - used - separator - len(prefix)
        escaped = escape(raw)
        if len(escaped) <= room:
            lines.append(prefix + escaped)
            used += separator + len(prefix) + len(escaped)
            continue
        cut = _escaped_prefix(raw, room - 1)
        if cut:
            lines.append(f"{prefix}{cut}…")
        return "\n".join(lines), False
    return "\n".join(lines), True


def _escaped_prefix(raw: str, room: int) -> str:
    out: list[str] = []
    used = 0
    for char in raw:
        piece = escape(char)
        if used + len(piece) > room:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out).rstrip()


def _more_menu(view: CardView) -> OverflowMenuElement | None:
    """Dismiss lives beside the "Why", away from the three decision buttons; so does "Quiet until
    it gets worse" (an exception on the account's trigger; never on a manual flag)."""
    if not view.is_pending or view.route == "hold":
        return None
    dismiss = Option(value=f"{CardMenu.DISMISS}:{view.card_id}", text="Dismiss as a false alarm…")
    veto = Option(value=f"{CardMenu.VETO}:{view.card_id}", text="Always human on this account")
    options = [dismiss, veto]
    if view.trigger != "manual_flag":
        options.append(Option(value=f"{CardMenu.QUIET}:{view.card_id}", text="Quiet until it gets worse"))
    if not view.asleep:  # Slack allows five options: the snooze lengths are chosen in a modal
        options.append(Option(value=f"{CardMenu.SNOOZE}:{view.card_id}", text="Snooze…"))
    return OverflowMenuElement(action_id=CardMenu.MORE, options=options)


def _plain(mrkdwn: str) -> str:
    """A note's words for the notification text (no emphasis marks)."""
    return mrkdwn.replace("*", "")


def _actions(view: CardView) -> ActionsBlock | None:
    if view.route == "hold":
        return None  # informational: Tandem paused itself, there is nothing to decide
    value = str(view.card_id)  # ids only: the card's state lives in the database
    buttons: list[ButtonElement] = []
    if view.proposes_send:
        buttons.append(
            ButtonElement(text="Approve", action_id=CardAction.APPROVE, value=value, style="primary")
        )
        buttons.append(ButtonElement(text="Edit", action_id=CardAction.EDIT, value=value))
    buttons.append(ButtonElement(text="Take over", action_id=CardAction.TAKE_OVER, value=value))
    return ActionsBlock(block_id=CardBlock.ACTIONS, elements=buttons)
