"""Benchmark: `python app.py serve` (HTTP mode) under bursts, stalled clients and huge bodies.

Starts the real `serve` process (SQLite, Slack's Web API at a local stand-in, no scheduler)
and prints, from the outside: resets in bursts of simultaneous signed clicks, the server's
threads while connections send headers and never a body, its memory (now and peak, from
/proc) around 100 MiB bodies framed three ways, and the log a forged request leaves. Linux
only (/proc). Not part of the test suite; tests/integration/test_serve.py asserts the bounds.

    python tests/benchmarks/bench_server.py [--clicks 50] [--rounds 5] [--stalled 200] [--root DIR]

`--root` runs another checkout's app.py (e.g. an older revision unpacked with `git archive`),
with this checkout's test support, to compare.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bot.ids import CardAction
from tests.support.serve_process import ROOT, SECRET, ServeProcess, proc_status, serve_process
from tests.support.server_load import burst, oversized_post, stalled_connections
from tests.support.slack_requests import Reply, SlackSender, sign
from tests.support.slack_stand_in import StandIn, running_stand_in


def bursts(served: ServeProcess, api: StandIn, clicks: int, rounds: int) -> None:
    slack = SlackSender(served.events_url, SECRET)

    def click(index: int) -> Reply:
        return slack.block_action(
            CardAction.APPROVE, str(900_000 + index), user_id="U0CSM001", channel_id="D0CSM001",
            message_ts=f"1700000000.{index:06d}", response_url=api.response_url(f"burst-{index}"),
        )  # fmt: skip

    failed = 0
    for round_ in range(1, rounds + 1):
        result = burst(click, clicks)
        failed += result.failed
        print(
            f"  round {round_}: {dict(result.statuses)} answered, {result.failed} failed "
            f"{dict(result.errors) or ''} in {result.seconds:.2f} s"
        )
        time.sleep(0.5)
    print(f"  => {failed} of {clicks * rounds} clicks failed ({100 * failed / (clicks * rounds):.0f}%)")


def stalled(served: ServeProcess, count: int) -> None:
    before = proc_status(served.pid)
    with stalled_connections(served.port, count):
        time.sleep(1.0)
        during = proc_status(served.pid)
    print(
        f"  threads {before.threads} -> {during.threads}, RSS {before.rss_mib:.0f} -> {during.rss_mib:.0f} MiB"
    )


def huge_bodies(served: ServeProcess) -> None:
    for framing in ("length", "chunked", "negative"):
        before = proc_status(served.pid)
        refusal = oversized_post(served.port, framing=framing)
        time.sleep(0.5)
        after = proc_status(served.pid)
        print(
            f"  {framing:>8}: status {refusal.status} after {refusal.sent_mib:5.1f} MiB sent in "
            f"{refusal.seconds:.2f} s; RSS {before.rss_mib:.0f} -> {after.rss_mib:.0f} MiB, "
            f"peak {before.peak_mib:.0f} -> {after.peak_mib:.0f} MiB"
        )


def forged(served: ServeProcess) -> None:
    body = urlencode({"payload": '{"type": "block_actions", "padding": "' + "x" * 900_000 + '"}'})
    timestamp = str(int(time.time()))
    before = len(served.output())
    forger = SlackSender(served.events_url, "wrong")
    status = forger.post(body, timestamp=int(timestamp), signature=sign("wrong", timestamp, body)).status
    time.sleep(0.5)
    added = served.output()[before:]
    print(f"  status {status}, {len(added):,} bytes in {len(added.splitlines())} line(s) of log")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--stalled", type=int, default=200)
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout whose app.py to run")
    args = parser.parse_args()
    with (
        running_stand_in() as api,
        tempfile.TemporaryDirectory() as workdir,
        serve_process(Path(workdir), api.api_url, root=args.root.resolve()) as served,
    ):
        start = proc_status(served.pid)
        print(
            f"serve from {args.root}: pid {served.pid}, {start.threads} threads, RSS {start.rss_mib:.0f} MiB"
        )
        print(f"{args.clicks} simultaneous signed clicks, {args.rounds} rounds:")
        bursts(served, api, args.clicks, args.rounds)
        print(f"{args.stalled} connections that send headers and never the body:")
        stalled(served, args.stalled)
        print("100 MiB bodies to /slack/events:")
        huge_bodies(served)
        print("a forged 0.9 MB request:")
        forged(served)


if __name__ == "__main__":
    main()
