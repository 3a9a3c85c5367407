"""Checks an LLM draft must pass before it reaches a card: not empty, within length limits, no
placeholder left, every figure from the facts, tone that fits the account's register, no link,
commercial promise or word-for-word customer text that the facts do not hold (what an
instruction hidden in a ticket would produce), and, for briefs, every claim citing known facts.
Each finding is a short phrase for the card's review note and for the retry prompt."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from prompts.brief_document import BriefDocument
from prompts.brief_sections import REQUIRED_SECTIONS
from prompts.tone import CRISIS, Register

# Cheer words; "celebratory tone (blocked)" names the rule rather than breaking it.
CELEBRATORY = re.compile(
    r"\b(?:celebrat|congrat)\w*\b(?!\s+tone)|\bexcit(?:ing|ed)\b|\bthrilled\b|\bwoo+hoo\b|\bhooray\b|\byay\b|"
    r"\b(?:great|amazing|wonderful) news\b|\bmilestone\b.{0,20}\bproud\b|"
    r"fantastic news|🎉|🥳|🎊|🍾|🥂|🎈|🚀",
    re.IGNORECASE,
)
MARKETING = re.compile(
    r"\bgame[- ]?chang\w*|\bsupercharg\w*|\bunlock(?:s|ing)? (?:the )?(?:full|true|more)\b|\bdon't miss\b|"
    r"\blimited[- ]time\b|\bact now\b|\bbest[- ]in[- ]class\b|\bworld[- ]class\b|\brevolutionar\w*|"
    r"\bexclusive offer\b|\bspecial offer\b|\bupsell\w*|\bupgrade (?:today|now)\b|\bskyrocket\w*",
    re.IGNORECASE,
)
EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
# "{{ name }}", "{name}", "[Name]", "[Company Name]", "[First name]", "<Your Name>", "TODO".
PLACEHOLDER = re.compile(
    r"\{\{|\}\}|\{[a-z_]+\}|\[(?:[A-Z][A-Za-z]*)(?:[ _-][A-Za-z]+){0,3}\]|<(?:[A-Z][a-z]+)(?: [A-Za-z]+){0,3}>|\bTODO\b"
)
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
LINK = re.compile(r"https?://\S+|\bwww\.\S+|\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
PROMISE = re.compile(
    r"\b(?:discount\w*|refund\w*|rebate\w*|credits?|waive\w*|free (?:of charge|months?|seats?|upgrade)|"
    r"price (?:cut|reduction|freeze)|guarantee\w*|compensat\w*)\b",
    re.IGNORECASE,
)
META = re.compile(
    r"\b(?:ignor\w*|disregard\w*|overrid\w*) (?:all |any )?(?:of )?(?:the |my |your )?(?:previous|prior|above|earlier|other) "
    r"(?:instructions|rules)\b|\bsystem prompt\b|\bnew rules?:|"
    r"\bas an ai\b|\blanguage model\b|quoted customer data",
    re.IGNORECASE,
)
WORD = re.compile(r"[a-z0-9']+")
COPIED_WORDS = 10  # this many words in a row from a customer's text reads as copied, not summarised
MAX_SUBJECT_CHARS = 200
MAX_CLAIM_CHARS = 500


def numbers_in(text: str) -> set[str]:
    """Every figure in the text, normalised: "60,000" and "60000.0" are both "60000"."""
    return {_normalise(match) for match in NUMBER.findall(text)}


def _normalise(figure: str) -> str:
    digits = figure.replace(",", "")
    try:
        value = float(digits)
    except ValueError:  # "1.2.3" (a version or a date with dots): keep it as written
        return digits
    return str(int(value)) if value.is_integer() else repr(value)


def _ngrams(text: str, n: int) -> set[tuple[str, ...]]:
    words = WORD.findall(text.lower())
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


def copied_from(text: str, quoted: Sequence[str], n: int = COPIED_WORDS) -> bool:
    grams = _ngrams(text, n)
    return bool(grams) and any(grams & _ngrams(q, n) for q in quoted)


def tone_findings(text: str, register: Register) -> list[str]:
    problems: list[str] = []
    crisis = register.key == CRISIS.key
    during = "during an active crisis" if crisis else f"for a {register.key} customer"
    if register.no_cheer and (cheer := CELEBRATORY.search(text)):
        problems.append(f"celebratory tone ({cheer.group(0)!r}) {during}")
    if register.no_marketing and (pitch := MARKETING.search(text)):
        problems.append(f"marketing voice ({pitch.group(0)!r}) {during}" if register.no_cheer else
                        f"marketing voice ({pitch.group(0)!r})")  # fmt: skip
    if register.no_exclamation and "!" in text:
        problems.append(f"an exclamation mark {during}")
    if register.no_cheer and (emoji := EMOJI.search(text)):
        problems.append(f"an emoji ({emoji.group(0)}) {during}")
    return problems


def safety_findings(
    text: str, *, known_numbers: Iterable[str] | None, facts_text: str, quoted: Sequence[str]
) -> list[str]:
    """What an invented figure or an instruction hidden in customer text would leave behind."""
    problems: list[str] = []
    if placeholder := PLACEHOLDER.search(text):
        problems.append(f"it contains the placeholder {placeholder.group(0)!r}")
    if known_numbers is not None:
        unknown = sorted(numbers_in(text) - set(known_numbers))
        if unknown:
            problems.append(f"it mentions figures not in the account's facts: {', '.join(unknown[:5])}")
    facts_lower = facts_text.lower()
    links = [link for link in LINK.findall(text) if link.lower().rstrip(".,)") not in facts_lower]
    if links:
        problems.append(f"it contains a link or address that is not in the facts ({links[0]!r})")
    promises = sorted({m.lower() for m in PROMISE.findall(text) if m.lower() not in facts_lower})
    if promises:
        problems.append(f"it makes a commercial promise the facts do not hold ({', '.join(promises[:3])})")
    if meta := META.search(text):
        problems.append(f"it talks about its instructions ({meta.group(0)!r})")
    if quoted and copied_from(text, quoted):
        problems.append(f"it repeats {COPIED_WORDS}+ words of customer-written text word for word")
    return problems


def findings(
    *,
    subject: str,
    body: str,
    crisis: bool,
    known_numbers: Iterable[str] | None = None,
    max_chars: int,
    register: Register | None = None,
    facts_text: str = "",
    quoted: Sequence[str] = (),
) -> list[str]:
    """What is wrong with an email draft, in words; empty when it may go on a card.

    `known_numbers` are the normalised figures of the facts the LLM was given (not of quoted
    customer text); a figure outside them is reported. None skips that check.
    """
    problems: list[str] = []
    if not body.strip():
        problems.append("the body is empty")
    if not subject.strip():
        problems.append("the subject is empty")
    if len(body) > max_chars:
        problems.append(f"the body is {len(body)} characters, over the {max_chars} limit")
    if len(subject) > MAX_SUBJECT_CHARS:
        problems.append(f"the subject is over {MAX_SUBJECT_CHARS} characters")
    text = subject + "\n" + body
    if register is None:
        register = CRISIS if crisis else None
    if register is not None:
        problems += tone_findings(text, register)
    problems += safety_findings(text, known_numbers=known_numbers, facts_text=facts_text, quoted=quoted)
    return problems


def document_findings(
    document: BriefDocument,
    *,
    known_numbers: Iterable[str],
    register: Register,
    facts_text: str,
    quoted: Sequence[str],
    max_chars: int,
) -> list[str]:
    """What is wrong with a brief the LLM wrote: every claim must cite known sources, carry only
    figures from the facts, and keep the register; required sections must not be empty."""
    problems: list[str] = []
    known_ids = {source.id for source in document.sources}
    known = set(known_numbers)
    total = 0
    for section in document.sections:
        if section.key in REQUIRED_SECTIONS and not section.claims:
            problems.append(f"the section '{section.title}' is empty")
        for claim in section.claims:
            total += len(claim.text)
            where = f"in '{section.title}'"
            if not claim.text.strip():
                problems.append(f"an empty claim {where}")
                continue
            if len(claim.text) > MAX_CLAIM_CHARS:
                problems.append(f"a claim {where} is over {MAX_CLAIM_CHARS} characters")
            if not claim.sources:
                problems.append(f"a claim {where} cites no source: {claim.text[:60]!r}")
            unknown = [sid for sid in claim.sources if sid not in known_ids]
            if unknown:
                problems.append(f"a claim {where} cites unknown sources: {', '.join(unknown[:3])}")
            for finding in tone_findings(claim.text, register) + safety_findings(
                claim.text, known_numbers=known, facts_text=facts_text, quoted=quoted
            ):
                problems.append(f"{finding} ({where})")
    if total > max_chars:
        problems.append(f"the brief is {total} characters, over the {max_chars} limit")
    return list(dict.fromkeys(problems))  # each finding once, in order
