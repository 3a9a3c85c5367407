"""Concurrent signed card clicks spread over replicas, each timed from the client, for the
replica tests and benchmark.

A click is built once (its exact body), so a lost one can be sent again the way Slack retries:
the same body with `X-Slack-Retry-Num`, signed again, to whichever replica is left. The time
measured is what Slack waits for: from the request going out to the ack's status line.

`send_apart` sends from a child process (`python -m tests.support.click_load`), so the clock
that times an ack does not wait on the test process's own threads (the Web API stand-in and
the SMTP server answering the replicas) for the GIL.
"""

from __future__ import annotations

import http.client
import json
import math
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from bot.ids import CardAction
from tests.support.slack_requests import SlackSender

RETRY_HEADERS = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}


@dataclass(frozen=True)
class Click:
    card_id: int
    user: str
    replica: int  # index of the replica it is sent to
    body: str

    @staticmethod
    def build(
        sender: SlackSender, *, card_id: int, user: str, replica: int, channel: str, ts: str, response_url: str,
        action: str = CardAction.APPROVE,
    ) -> Click:  # fmt: skip
        body = sender.block_action_body(
            action, str(card_id), user_id=user, channel_id=channel, message_ts=ts, response_url=response_url
        )
        return Click(card_id, user, replica, body)


@dataclass(frozen=True)
class Answer:
    click: Click
    status: int | None  # None: no status line came back (refused, reset: the replica is gone)
    seconds: float
    error: str = ""


@dataclass
class Load:
    answers: list[Answer] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def statuses(self) -> Counter[int | None]:
        return Counter(answer.status for answer in self.answers)

    @property
    def lost(self) -> list[Answer]:
        """Requests Slack would retry: no answer at all, or not a 2xx."""
        return [a for a in self.answers if a.status is None or not 200 <= a.status < 300]

    def ack_seconds(self) -> list[float]:
        return sorted(a.seconds for a in self.answers if a.status == 200)


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile of sorted `values` (share 0.99 is p99)."""
    if not values:
        return math.nan
    rank = max(1, math.ceil(share * len(values)))
    return values[rank - 1]


def ack_summary(seconds: Sequence[float]) -> str:
    ordered = sorted(seconds)
    p50, p95, p99 = (percentile(ordered, s) * 1000 for s in (0.50, 0.95, 0.99))
    return f"ack p50 {p50:.0f} ms, p95 {p95:.0f} ms, p99 {p99:.0f} ms over {len(ordered)} acks"


def send_together(senders: Sequence[SlackSender], clicks: Sequence[Click], *, retry: bool = False) -> Load:
    """Every click on its own thread and connection, released at once, to `senders[click.replica]`."""
    load = Load()
    lock = threading.Lock()
    gate = threading.Barrier(len(clicks))

    def one(click: Click) -> None:
        sender = senders[click.replica]
        gate.wait()
        started = time.perf_counter()
        try:
            reply = sender.post(click.body, headers=RETRY_HEADERS if retry else None)
            answer = Answer(click, reply.status, time.perf_counter() - started)
        except (OSError, http.client.HTTPException) as error:
            reason = getattr(error, "reason", None)  # urllib wraps resets in URLError
            name = type(reason if isinstance(reason, BaseException) else error).__name__
            answer = Answer(click, None, time.perf_counter() - started, name)
        with lock:
            load.answers.append(answer)

    threads = [threading.Thread(target=one, args=(click,)) for click in clicks]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)  # each request gives up after 10 s (SlackSender)
    load.seconds = time.monotonic() - started
    return load


def send_apart(senders: Sequence[SlackSender], clicks: Sequence[Click], *, retry: bool = False) -> Load:
    """`send_together` run in a child process; the same Load comes back."""
    order = {"urls": [s.url for s in senders], "secret": senders[0].secret, "retry": retry,
             "clicks": [asdict(click) for click in clicks]}  # fmt: skip
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-m", "tests.support.click_load"], input=json.dumps(order), capture_output=True,
        text=True, cwd=root, timeout=120, check=True,
    )  # fmt: skip
    answers = json.loads(done.stdout)
    load = Load(seconds=answers["seconds"])
    load.answers = [
        Answer(clicks[a["index"]], a["status"], a["seconds"], a["error"]) for a in answers["answers"]
    ]
    return load


def _serve_order() -> None:
    order = json.loads(sys.stdin.read())
    senders = [SlackSender(url, order["secret"]) for url in order["urls"]]
    clicks = [Click(**click) for click in order["clicks"]]
    load = send_together(senders, clicks, retry=order["retry"])
    index = {id(click): n for n, click in enumerate(clicks)}
    answers = [
        {"index": index[id(a.click)], "status": a.status, "seconds": a.seconds, "error": a.error}
        for a in load.answers
    ]
    json.dump({"seconds": load.seconds, "answers": answers}, sys.stdout)


if __name__ == "__main__":
    _serve_order()


def bot_side_acks(ports: Sequence[int], *, kind: str = "interaction") -> tuple[int, int, int]:
    """From each replica's /metrics: requests of `kind` answered, and how many within 300 ms and
    within 100 ms (tandem_slack_ack_seconds, timed inside the bot from the body read to the ack)."""
    answered = within_300 = within_100 = 0
    for port in ports:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as response:
            text = response.read().decode()
        for family in text_string_to_metric_families(text):
            if family.name != "tandem_slack_ack_seconds":
                continue
            for sample in family.samples:
                if sample.labels.get("kind") != kind:
                    continue
                if sample.name.endswith("_count"):
                    answered += int(sample.value)
                elif sample.name.endswith("_bucket") and sample.labels.get("le") == "0.3":
                    within_300 += int(sample.value)
                elif sample.name.endswith("_bucket") and sample.labels.get("le") == "0.1":
                    within_100 += int(sample.value)
    return answered, within_300, within_100
