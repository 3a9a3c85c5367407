"""The Jinja2 environment for every prompt and template draft.

StrictUndefined makes a missing variable fail loudly instead of sending a blank. Autoescape is
off: the output is plain text (emails) or Slack mrkdwn, and the Block Kit layer escapes for Slack.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

TEMPLATES_DIR = Path(__file__).with_name("templates")


@lru_cache(maxsize=1)
def environment() -> Environment:
    return Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        undefined=StrictUndefined,
        autoescape=False,  # plain text and mrkdwn, not HTML
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,  # templates ship with the code: compiled once, never re-checked on disk
    )


def render(name: str, **context: Any) -> str:
    """Render one template; surrounding blank space is trimmed."""
    return environment().get_template(name).render(**context).strip()
