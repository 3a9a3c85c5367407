"""A brief as data: sections of claims, each citing the sources (a metric and its period, a
ticket, an event) it rests on; rendered to Slack mrkdwn and to Markdown for a deck.

Both drafters fill the same structure: the template from the facts directly, the LLM by
writing claims that cite the source ids it was given. Sources are always ours (built from the
stored facts), never the model's, so a citation can be checked and shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

NOTHING_ON_RECORD = "Nothing on record for this period."


@dataclass(frozen=True)
class Source:
    """One citable fact. `text` is our own wording with figures from the data; `quoted` is a
    customer-written line (a ticket subject) shown to people but never counted as a fact."""

    id: str  # "M1", "T-1042", "E2"
    kind: str  # metric | ticket | event | record
    label: str  # what and when: "daily active users, 2025-12-03 to 2026-03-02"
    text: str
    quoted: str = ""

    def line(self) -> str:
        return f"[{self.id}] {self.label}: {self.text}" if self.text else f"[{self.id}] {self.label}"


@dataclass(frozen=True)
class Claim:
    text: str
    sources: tuple[str, ...]


@dataclass(frozen=True)
class Section:
    key: str
    title: str
    claims: tuple[Claim, ...]


@dataclass(frozen=True)
class BriefDocument:
    kind: str  # "brief" | "qbr"
    title: str
    header: tuple[str, ...]  # fact lines under the title (account, ARR, health, renewal)
    sections: tuple[Section, ...]
    sources: tuple[Source, ...]

    def source(self, source_id: str) -> Source | None:
        return next((s for s in self.sources if s.id == source_id), None)

    def cited(self) -> tuple[Source, ...]:
        """The sources some claim cites, in the order they are first cited."""
        order: list[str] = []
        for section in self.sections:
            for claim in section.claims:
                order.extend(sid for sid in claim.sources if sid not in order)
        return tuple(s for sid in order if (s := self.source(sid)) is not None)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "title": self.title,
            "header": list(self.header),
            "sections": [
                {
                    "key": s.key,
                    "title": s.title,
                    "claims": [{"text": c.text, "sources": list(c.sources)} for c in s.claims],
                }
                for s in self.sections
            ],
            "sources": [
                {"id": s.id, "kind": s.kind, "label": s.label, "text": s.text, "quoted": s.quoted}
                for s in self.sources
            ],
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> BriefDocument:
        return cls(
            kind=str(data["kind"]),
            title=str(data["title"]),
            header=tuple(str(line) for line in data["header"]),
            sections=tuple(
                Section(
                    str(s["key"]),
                    str(s["title"]),
                    tuple(Claim(str(c["text"]), tuple(str(x) for x in c["sources"])) for c in s["claims"]),
                )
                for s in data["sections"]
            ),
            sources=tuple(
                Source(
                    str(s["id"]), str(s["kind"]), str(s["label"]), str(s["text"]), str(s.get("quoted", ""))
                )
                for s in data["sources"]
            ),
        )


def cite(claim: Claim) -> str:
    return f"{claim.text} [{', '.join(claim.sources)}]" if claim.sources else claim.text


def render_mrkdwn(document: BriefDocument) -> str:
    """Slack mrkdwn (the Block Kit layer escapes it): bold titles, bullets, citations, sources."""
    lines = [f"*{document.title}*", *document.header]
    for section in document.sections:
        lines += ["", f"*{section.title}*"]
        lines += [f"• {cite(c)}" for c in section.claims] or [f"• {NOTHING_ON_RECORD}"]
    cited = document.cited()
    if cited:
        lines += ["", "*Sources*"]
        lines += [_source_line(s) for s in cited]
    return "\n".join(lines)


def render_markdown(document: BriefDocument) -> str:
    """Markdown a CSM can paste into a deck: headings, bullets with citations, a sources list."""
    lines = [f"# {document.title}", ""]
    lines += [f"- {line}" for line in document.header]
    for section in document.sections:
        lines += ["", f"## {section.title}", ""]
        lines += [f"- {cite(c)}" for c in section.claims] or [f"- {NOTHING_ON_RECORD}"]
    cited = document.cited()
    if cited:
        lines += ["", "## Sources", ""]
        lines += [f"- {_source_line(s)}" for s in cited]
    return "\n".join(lines) + "\n"


def _source_line(source: Source) -> str:
    line = source.line()
    return f"{line} — “{source.quoted}”" if source.quoted else line
