"""Storage-side vocabularies that scoring does not need."""

from enum import StrEnum


class Role(StrEnum):
    CSM = "csm"
    MANAGER = "manager"
    OPS = "ops"
    ADMIN = "admin"


class CardState(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    EDITED = "edited"
    TAKEN_OVER = "taken_over"
    DISMISSED = "dismissed"


class OutboxState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a worker; a cancel can no longer stop it
    SENT = "sent"
    CANCELLED = "cancelled"
    FAILED = "failed"


class RenewalOutcomeKind(StrEnum):
    RENEWED = "renewed"
    CHURNED = "churned"
