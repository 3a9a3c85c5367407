"""How Tandem's log lines look: plain text (the default) or, with LOG_FORMAT=json, one JSON
object per line for a log pipeline.

A JSON line has `timestamp` (UTC, ISO 8601), `level`, `logger`, `message`, the Slack request's
`request_id` (bot.request_ids) when there is one, any `extra=` fields, and `exception` with the
traceback when one was logged. A message with line breaks stays one line (JSON escapes them).
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from bot.request_ids import RequestIdFilter

LogFormat = Literal["plain", "json"]
PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# Attributes every LogRecord has: anything else on a record came from `extra=` or a filter.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "taskName"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            (name, value)
            for name, value in vars(record).items()
            if name not in _STANDARD and value is not None
        )
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def log_handler(fmt: LogFormat, stream: TextIO | None = None) -> logging.Handler:
    """A handler writing `fmt` lines to `stream` (stderr), with the request id on each record."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(PLAIN))
    handler.addFilter(RequestIdFilter())
    return handler


def configure_logging(*, level: str, fmt: LogFormat) -> None:
    """The root logger's one handler (as logging.basicConfig: nothing changes if one is set)."""
    logging.basicConfig(level=level, handlers=[log_handler(fmt)])
    logging.getLogger("alembic").setLevel(logging.WARNING)  # one line per command is noise
