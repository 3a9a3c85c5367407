"""The JSON the model is asked for (pydantic models, sent as a strict JSON schema) and parsed into.

Every object forbids extra keys and every field is required, as OpenAI's strict structured
output demands; a brief's claims cite the ids of the sources the model was given.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from prompts.brief_document import BriefDocument, Claim, Section, Source


class DraftAnswer(BaseModel):
    """An email (or the internal expansion note)."""

    model_config = ConfigDict(extra="forbid")
    subject: str = Field(description="The subject line.")
    body: str = Field(description="The plain-text body, greeting to sign-off.")


class ClaimAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(description="One sentence for the CSM, figures copied exactly from the cited facts.")
    sources: list[str] = Field(
        description='The ids of the facts this sentence rests on, e.g. ["U1", "T-17"].'
    )


class BriefAnswer(BaseModel):
    """An account brief (`/brief`)."""

    model_config = ConfigDict(extra="forbid")
    summary: list[ClaimAnswer]
    health: list[ClaimAnswer]
    support: list[ClaimAnswer]
    risks: list[ClaimAnswer]
    next_steps: list[ClaimAnswer]


class QBRAnswer(BaseModel):
    """A quarterly business review brief (`/qbr`)."""

    model_config = ConfigDict(extra="forbid")
    executive_summary: list[ClaimAnswer]
    usage_and_adoption: list[ClaimAnswer]
    value_delivered: list[ClaimAnswer]
    support_history: list[ClaimAnswer]
    health_trend: list[ClaimAnswer]
    risks: list[ClaimAnswer]
    expansion_opportunities: list[ClaimAnswer]
    agenda: list[ClaimAnswer]


def document_from(
    answer: BriefAnswer | QBRAnswer,
    *,
    kind: str,
    title: str,
    header: tuple[str, ...],
    sections: tuple[tuple[str, str], ...],
    sources: tuple[Source, ...],
) -> BriefDocument:
    """The model's claims placed in our document, under our header and with our sources."""
    built = []
    for key, heading in sections:
        claims: list[ClaimAnswer] = getattr(answer, key)
        built.append(
            Section(
                key,
                heading,
                tuple(Claim(c.text.strip(), tuple(s.strip() for s in c.sources)) for c in claims),
            )
        )
    return BriefDocument(kind, title, header, tuple(built), sources)
