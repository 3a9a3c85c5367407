"""ticket tone with the support-domain lexicon

Tone is stored on each ticket when it is written. The support-domain lexicon
(scoring/tone_lexicon.toml) changes the figure for many tickets (stock VADER read "Security
incident: rotate all API keys NOW" as +0.59), so tickets stored before it are rescored here with
the app's own `ticket_tone`; otherwise old and new tickets would be averaged on two scales. No
schema change.

Downgrade is a no-op: the old figures were wrong and are not kept, and the column stays as it
is. Running the old code after a downgrade leaves these tones until tickets are written again.

Revision ID: 0007
Revises: 0006
"""

from collections.abc import Sequence

from alembic import op

from storage.ticket_tone_backfill import rescore_ticket_tone

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    rescore_ticket_tone(op.get_bind())


def downgrade() -> None:
    pass  # see the docstring: the rescored tones stay
