"""A local stand-in for Slack's Web API (and response_url endpoints), on 127.0.0.1 only.

Records every request (method, parsed JSON or form body and query string, headers) so tests
can assert what was posted; answers like Slack (auth.test from the fixtures, a D… channel for a
user id, `message_not_found` for an update of a message it never posted, `not_authed` without a
token); rejects blocks over Slack's limits (`invalid_blocks`); and can be told to answer the
next calls with 429 (Retry-After) or 500.

File uploads run the way `files_upload_v2` drives Slack: `files.getUploadURLExternal` hands out
an upload URL on this server, the raw bytes are POSTed there (kept in `uploads`), and
`files.completeUploadExternal` shares them in a channel or thread (kept in `shared`), answering
with file objects shaped like the fixtures'.

Like Slack, `conversations.history` returns a channel's parent messages only, never a reply in a
thread (a parent shows its `reply_count`); `conversations.replies` returns one thread, its parent
first, paged with a cursor. `add_message` puts a message someone wrote into a channel.

Slack's users (`add_user`) answer `users.lookupByEmail` and `users.info` as Slack does (the
whole user, `tz` included; `users_not_found` / `user_not_found` otherwise), and
`rate_limit_every` answers every Nth call of a method with 429 and Retry-After.

`inject_faults` answers a share of all Web API calls with 429 (Retry-After) or 500, drawn from
a seeded random sequence; a 500 to chat.postMessage may come after the message was posted (as
a real server error can), so only a client that looks before posting again posts it once.
Every message posted is logged with the time it arrived (`post_log`), for tests of pacing.
"""

from __future__ import annotations

import itertools
import json
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.block_limits import block_problems, view_problems

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "slack-fixtures"
FALLBACK_AUTH_TEST = {
    "ok": True,
    "url": "https://tandem-test.slack.com/",
    "team": "Tandem Test",
    "user": "tandem",
    "team_id": "T111",
    "user_id": "UB0T",
    "bot_id": "BB0T",
}
# The real auth.test shape from the fixtures when shared/ is beside the checkout.
_AUTH_FIXTURE = FIXTURES / "response_auth_test_bot.json"
AUTH_TEST = json.loads(_AUTH_FIXTURE.read_text()) if _AUTH_FIXTURE.exists() else FALLBACK_AUTH_TEST
MESSAGE_TEXT_LIMIT = 40_000


@dataclass
class SharedFile:
    """A file `files.completeUploadExternal` shared: where, in which thread, and its bytes."""

    file_id: str
    filename: str
    title: str
    channel_id: str
    thread_ts: str | None
    initial_comment: str | None
    data: bytes


@dataclass
class Recorded:
    path: str
    method: str  # the Web API method ("chat.postMessage") or "response_url"
    body: dict[str, Any]
    headers: dict[str, str]
    at: float = field(default_factory=time.monotonic)  # when it arrived (pacing, Retry-After)


@dataclass
class StandIn:
    port: int = 0
    calls: list[Recorded] = field(default_factory=list)
    scripted: list[tuple[int, dict[str, str], dict[str, Any]]] = field(default_factory=list)
    failing: dict[str, list[int]] = field(
        default_factory=dict
    )  # method → statuses for its next calls (0: served)
    # channel → Slack errors for its next chat.postMessage calls ("channel_not_found", …)
    refusing: dict[str, list[str]] = field(default_factory=dict)
    # method → seconds to wait after recording a call and before answering (a slow Slack: a
    # client killed meanwhile never learns that its message was posted)
    delays: dict[str, float] = field(default_factory=dict)
    messages: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (channel, ts) → body
    pending_uploads: dict[str, dict[str, Any]] = field(default_factory=dict)  # file id → getUploadURL args
    uploads: dict[str, bytes] = field(default_factory=dict)  # file id → bytes POSTed to its upload URL
    shared: list[SharedFile] = field(default_factory=list)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # member id → user object
    channels: dict[str, dict[str, Any]] = field(default_factory=dict)  # id → conversations.info's channel
    members: dict[str, list[str]] = field(default_factory=dict)  # channel id → its member ids
    every_nth: dict[str, int] = field(default_factory=dict)  # method → every Nth call answered 429
    faults: FaultPlan | None = None
    faults_answered: list[Fault] = field(default_factory=list)
    # (channel, monotonic arrival time, delivery id in its metadata or None) per message posted
    post_log: list[tuple[str, float, int | None]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str = "hook") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    def calls_to(self, method: str) -> list[Recorded]:
        with self.lock:
            return [call for call in self.calls if call.method == method]

    def responses_at(self, name: str) -> list[Recorded]:
        """What was posted to `response_url(name)`."""
        return [call for call in self.calls_to("response_url") if call.path == f"/response/{name}"]

    def fail_next(self, status: int, *, times: int = 1, retry_after: int = 1) -> None:
        """Answer the next `times` Web API calls with 429 (and Retry-After) or a 5xx."""
        headers = {"Retry-After": str(retry_after)} if status == 429 else {}
        error = "ratelimited" if status == 429 else "internal_error"
        with self.lock:
            self.scripted.extend([(status, headers, {"ok": False, "error": error})] * times)

    def refuse_posts_to(self, channel: str, error: str = "channel_not_found", *, times: int = 1) -> None:
        """Answer the next `times` chat.postMessage calls to `channel` ("*": any) with ok=false and `error`."""
        with self.lock:
            self.refusing.setdefault(channel, []).extend([error] * times)

    def posts_tagged(self) -> dict[int, int]:
        """How many times each message tagged with a delivery id (metadata) was posted."""
        counts: dict[int, int] = {}
        for call in self.calls_to("chat.postMessage"):
            metadata = _decoded(call.body.get("metadata")) or {}
            if metadata.get("event_type") == "tandem_delivery":
                key = int(metadata["event_payload"]["id"])
                counts[key] = counts.get(key, 0) + 1
        return counts

    def add_user(
        self,
        member_id: str,
        email: str,
        *,
        tz: str | None = "America/New_York",
        team: str = "T111",
        is_bot: bool = False,
    ) -> None:
        """A Slack user, shaped like users.info's `user` (only the fields Tandem reads, and a few);
        `team`: another organisation's for a Slack Connect channel's external member."""
        user: dict[str, Any] = {
            "id": member_id, "team_id": team, "name": email.split("@")[0], "deleted": False,
            "is_bot": is_bot, "profile": {"email": email, "real_name": email.split("@")[0]},
        }  # fmt: skip
        if not email:
            user["profile"] = {"real_name": member_id}  # Slack hides it (another org's setting)
        if tz is not None:
            user |= {"tz": tz, "tz_label": tz, "tz_offset": 0}
        with self.lock:
            self.users[member_id] = user

    def add_channel(
        self,
        channel_id: str,
        name: str,
        *,
        members: list[str],
        external_teams: tuple[str, ...] = (),
        is_private: bool = False,
        own_team: str = "T111",
    ) -> None:
        """A channel as conversations.info shows it: a Slack Connect one when `external_teams`
        (is_ext_shared, connected_team_ids / shared_team_ids with the host's own team)."""
        teams = [own_team, *external_teams] if external_teams else []
        channel: dict[str, Any] = {
            "id": channel_id, "name": name, "is_channel": not is_private, "is_group": is_private,
            "is_private": is_private, "is_shared": bool(external_teams), "is_ext_shared": bool(external_teams),
            "is_org_shared": False, "context_team_id": own_team, "conversation_host_id": own_team,
            "shared_team_ids": teams, "connected_team_ids": teams, "is_member": True,
        }  # fmt: skip
        with self.lock:
            self.channels[channel_id] = channel
            self.members[channel_id] = list(members)

    def add_message(self, channel: str, ts: str, text: str, **fields: Any) -> None:
        """A message someone wrote in `channel` (user, team, thread_ts, bot_id, subtype…), as
        conversations.history and conversations.replies then list it."""
        with self.lock:
            self.messages[(channel, ts)] = {"channel": channel, "text": text, **fields}

    def rate_limit_every(self, method: str, nth: int) -> None:
        """Answer every `nth` call of `method` (retries count) with 429 and Retry-After: 1."""
        with self.lock:
            self.every_nth[method] = nth

    def inject_faults(
        self,
        share: float,
        *,
        seed: int = 1,
        retry_after: int = 1,
        server_errors: float = 0.5,
        posted_before_500: float = 0.5,
    ) -> None:
        """From now on answer `share` of Web API calls with a fault: 500 (`server_errors` of
        them) or 429 with `retry_after`; a 500 to chat.postMessage has posted the message first
        `posted_before_500` of the time."""
        with self.lock:
            self.faults = FaultPlan(random.Random(seed), share, retry_after, server_errors, posted_before_500)

    def posted_by_delivery(self) -> dict[int, list[tuple[str, str]]]:
        """(channel, ts) of every message Slack kept, per delivery id in its metadata: a
        message posted twice shows twice, whatever the client recorded."""
        kept: dict[int, list[tuple[str, str]]] = {}
        with self.lock:
            for (channel, ts), body in self.messages.items():
                metadata = _decoded(body.get("metadata")) or {}
                if isinstance(metadata, dict) and metadata.get("event_type") == "tandem_delivery":
                    kept.setdefault(int(metadata["event_payload"]["id"]), []).append((channel, ts))
        return kept

    def retry_after_breaches(self, *, leeway: float = 0.05) -> list[str]:
        """Posts to a channel that arrived before the Retry-After of a 429 it had been given."""
        assert self.faults is not None
        wait = self.faults.retry_after
        with self.lock:
            refused = [
                (f.channel, f.at)
                for f in self.faults_answered
                if f.status == 429 and f.method == "chat.postMessage"
            ]
            log = list(self.post_log)
        return [
            f"{channel}: a post {at - refused_at:.3f} s after a 429 asking for {wait} s"
            for channel, refused_at in refused
            for posted_to, at, _ in log
            if posted_to == channel and refused_at < at < refused_at + wait - leeway
        ]

    def channel_pacing_breaches(self, *, interval: float, burst: int, leeway: float = 0.05) -> list[str]:
        """Posts that arrived faster than `interval` per channel allows after a burst of
        `burst` (the GCRA Slack's "1 per second, short bursts" describes), one line each."""
        with self.lock:
            log = list(self.post_log)
        breaches: list[str] = []
        theoretical: dict[str, float] = {}
        tolerance = interval * (burst - 1)
        for channel, at, delivery_id in sorted(log, key=lambda entry: entry[1]):
            tat = theoretical.get(channel, at)
            if at < tat - tolerance - leeway:
                breaches.append(f"{channel}: delivery {delivery_id} {tat - tolerance - at:.3f} s early")
            theoretical[channel] = max(tat, at) + interval
        return breaches

    def fail_calls_to(self, method: str, status: int, *, times: int = 1, after: int = 0) -> None:
        """Answer the next `times` calls of one Web API method with `status` (others are served),
        once `after` more calls of it have been served."""
        with self.lock:
            self.failing.setdefault(method, []).extend([0] * after + [status] * times)


@dataclass(frozen=True)
class Fault:
    """A call answered with a fault: to which method and channel, when, and whether the
    message was posted all the same (a 500 after the work)."""

    method: str
    status: int
    posted: bool
    channel: str
    at: float  # time.monotonic()


def _dm(channel: str) -> str:
    """Posting to a user id lands in the DM with the app, which is how the stand-in files it."""
    return "D" + channel[1:] if channel.startswith(("U", "W")) else channel


@dataclass
class FaultPlan:
    """Which calls fail, drawn in arrival order from one seeded sequence."""

    draws: random.Random
    share: float
    retry_after: int
    server_errors: float
    posted_before_500: float

    def draw(self) -> tuple[int, bool] | None:
        """None (serve the call), or the status to answer and whether to do the work first."""
        if self.draws.random() >= self.share:
            return None
        if self.draws.random() < self.server_errors:
            return 500, self.draws.random() < self.posted_before_500
        return 429, False


def _parse(raw: bytes, content_type: str) -> dict[str, Any]:
    if not raw:
        return {}
    if "json" in content_type:
        return dict(json.loads(raw))
    return {key: values[0] for key, values in parse_qs(raw.decode()).items()}


def _decoded(value: Any) -> Any:
    """Form-encoded calls carry blocks and views as JSON strings; JSON calls as objects."""
    return json.loads(value) if isinstance(value, str) else value


def _message_problems(body: dict[str, Any]) -> str | None:
    blocks = _decoded(body.get("blocks"))
    if blocks is not None and block_problems(list(blocks)):
        return "invalid_blocks"
    if len(str(body.get("text") or "")) > MESSAGE_TEXT_LIMIT:
        return "msg_too_long"
    if not body.get("text") and not blocks:
        return "no_text"
    return None


def _make_handler(state: StandIn) -> type[BaseHTTPRequestHandler]:
    ts_counter = itertools.count(1)
    file_counter = itertools.count(1)

    def next_ts() -> str:
        # Real-looking timestamps (now), so a history search from a moment finds what came after.
        return f"{int(time.time())}.{next(ts_counter):06d}"

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
            pass

        def do_GET(self) -> None:  # slack_sdk sends some reads (users.info, users.lookupByEmail) as GET
            self.do_POST()

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path.startswith("/upload/"):
                self._receive_upload(self.path.removeprefix("/upload/"), raw)
                return
            url = urlsplit(self.path)
            body = {key: values[0] for key, values in parse_qs(url.query).items()}  # api_call(params=…)
            body.update(_parse(raw, self.headers.get("Content-Type", "")))
            if self.path.startswith("/response/"):
                self._record("response_url", body)
                problem = _message_problems(body)  # Slack answers a bad response_url post with 400
                self._send(400 if problem else 200, {}, (problem or "ok").encode(), "text/plain")
                return
            method = url.path.removeprefix("/api/")
            self._record(method, body)
            with state.lock:
                scripted = state.scripted.pop(0) if state.scripted else None
                nth = state.every_nth.get(method)
                if scripted is None and nth and sum(c.method == method for c in state.calls) % nth == 0:
                    scripted = (429, {"Retry-After": "1"}, {"ok": False, "error": "ratelimited"})
                status = state.failing[method].pop(0) if scripted is None and state.failing.get(method) else 0
                if status:  # 0: served (a call let through before the failures)
                    error = "ratelimited" if status == 429 else "internal_error"
                    scripted = (
                        status,
                        {"Retry-After": "1"} if status == 429 else {},
                        {"ok": False, "error": error},
                    )
                fault = state.faults.draw() if scripted is None and state.faults is not None else None
                if fault is not None:
                    state.faults_answered.append(
                        Fault(method, fault[0], fault[1] and method == "chat.postMessage",
                              _dm(str(body.get("channel", ""))), time.monotonic())
                    )  # fmt: skip
            if scripted:
                status, headers, payload = scripted
                self._send(status, headers, json.dumps(payload).encode())
                return
            if fault is not None:
                status, work_first = fault
                if status == 500 and work_first:
                    self._answer(method, body)  # done, then the answer is lost: a server error
                assert state.faults is not None
                headers = {"Retry-After": str(state.faults.retry_after)} if status == 429 else {}
                error = "ratelimited" if status == 429 else "internal_error"
                self._send(status, headers, json.dumps({"ok": False, "error": error}).encode())
                return
            answer = self._answer(method, body)
            delay = state.delays.get(method, 0.0)
            if delay:
                time.sleep(delay)
            self._send(200, {}, json.dumps(answer).encode())

        def _record(self, method: str, body: dict[str, Any]) -> None:
            with state.lock:
                state.calls.append(Recorded(self.path.split("?", 1)[0], method, body, dict(self.headers)))

        def _receive_upload(self, file_id: str, raw: bytes) -> None:
            """Step 2 of an external upload: the raw bytes, answered like files.slack.com."""
            with state.lock:
                known = file_id in state.pending_uploads
                if known:
                    state.uploads[file_id] = raw
            self._record("upload", {"file_id": file_id, "bytes": len(raw)})
            if not known:
                self._send(404, {}, b"Not Found", "text/plain")
                return
            self._send(200, {}, f"OK - {len(raw)}".encode(), "text/plain; charset=utf-8")

        def _upload_url(self, body: dict[str, Any]) -> dict[str, Any]:
            if not body.get("filename") or not str(body.get("length", "")).isdigit():
                return {"ok": False, "error": "invalid_arguments"}
            file_id = f"F{next(file_counter):08d}"
            with state.lock:
                state.pending_uploads[file_id] = dict(body)
            return {
                "ok": True,
                "upload_url": f"http://127.0.0.1:{state.port}/upload/{file_id}",
                "file_id": file_id,
            }

        def _complete_upload(self, body: dict[str, Any]) -> dict[str, Any]:
            try:
                files = json.loads(str(body.get("files") or "[]"))
            except json.JSONDecodeError:
                return {"ok": False, "error": "invalid_arguments"}
            channel = str(body.get("channel_id") or "")
            thread_ts = body.get("thread_ts") or None
            answered = []
            with state.lock:
                if thread_ts and not any(key == (channel, thread_ts) for key in state.messages):
                    return {"ok": False, "error": "invalid_thread_ts"}
                for item in files:
                    file_id = str(item.get("id"))
                    if file_id not in state.uploads:
                        return {"ok": False, "error": "file_not_found"}
                    started = state.pending_uploads[file_id]
                    data = state.uploads[file_id]
                    if int(started["length"]) != len(data):
                        return {"ok": False, "error": "file_size_mismatch"}
                    name = str(started["filename"])
                    title = str(item.get("title") or name)
                    if channel:
                        state.shared.append(SharedFile(file_id, name, title, channel, thread_ts,
                                                       body.get("initial_comment"), data))  # fmt: skip
                    answered.append(_file_object(file_id, name, title, data, channel))
            return {"ok": True, "files": answered}

        def _answer(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
            token = self.headers.get("Authorization", "").removeprefix("Bearer ").strip()
            if not token and not body.get("token"):
                return {"ok": False, "error": "not_authed"}
            if method == "auth.test":
                return AUTH_TEST
            if method == "files.getUploadURLExternal":
                return self._upload_url(body)
            if method == "files.completeUploadExternal":
                return self._complete_upload(body)
            if method == "conversations.open":
                user = str(body.get("users", "")).split(",")[0]
                return {"ok": True, "channel": {"id": "D" + user[1:]}}
            if method == "conversations.history":
                return self._history(body)
            if method == "conversations.replies":
                return self._replies(body)
            if method in ("users.lookupByEmail", "users.info"):
                return self._user(method, body)
            if method in ("conversations.info", "conversations.members"):
                return self._channel(method, body)
            if method == "chat.getPermalink":
                return permalink_answer(body)
            if method == "chat.postMessage":
                with state.lock:
                    refusals = state.refusing.get(str(body.get("channel", ""))) or state.refusing.get("*")
                    refusal = refusals.pop(0) if refusals else None
                if refusal:
                    return {"ok": False, "error": refusal}
            if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
                problem = _message_problems(body)
                if problem:
                    messages = block_problems(list(_decoded(body.get("blocks")) or []))
                    return {"ok": False, "error": problem, "response_metadata": {"messages": messages}}
                return self._message(method, body)
            if method in ("views.open", "views.publish", "views.update", "views.push"):
                view = dict(_decoded(body.get("view")) or {})
                problems = view_problems(view)
                if problems:
                    return {
                        "ok": False,
                        "error": "invalid_blocks",
                        "response_metadata": {"messages": problems},
                    }
                if method == "views.open" and not body.get("trigger_id"):
                    return {"ok": False, "error": "invalid_trigger_id"}
                return {"ok": True, "view": {**view, "id": "V0001", "hash": "h1"}}
            return {"ok": True}

        def _user(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
            with state.lock:
                if method == "users.info":
                    user = state.users.get(str(body.get("user", "")))
                    return {"ok": True, "user": user} if user else {"ok": False, "error": "user_not_found"}
                email = str(body.get("email", "")).lower()
                found = [u for u in state.users.values() if u["profile"].get("email", "").lower() == email]
            return {"ok": True, "user": found[0]} if found else {"ok": False, "error": "users_not_found"}

        def _channel(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
            """conversations.info, and conversations.members paged by cursor (limit, default 100)."""
            channel = str(body.get("channel", ""))
            with state.lock:
                info = state.channels.get(channel)
                members = list(state.members.get(channel, []))
            if info is None:
                return {"ok": False, "error": "channel_not_found"}
            if method == "conversations.info":
                return {"ok": True, "channel": dict(info)}
            start = int(body.get("cursor") or 0)
            size = int(body.get("limit") or 100)
            page: dict[str, Any] = {"ok": True, "members": members[start : start + size]}
            more = start + size < len(members)
            page["response_metadata"] = {"next_cursor": str(start + size) if more else ""}
            return page

        def _history(self, body: dict[str, Any]) -> dict[str, Any]:
            """conversations.history, newest first, with metadata only when asked for; the
            channel's own messages only (a reply in a thread is not in its history)."""
            channel = str(body.get("channel", ""))
            oldest = float(body.get("oldest") or 0)
            with state.lock:
                found = [
                    (ts, dict(message))
                    for (where, ts), message in state.messages.items()
                    if where == channel and message.get("thread_ts") in (None, "", ts)
                ]
                replies: dict[str, int] = {}
                for (where, ts), message in state.messages.items():
                    parent = message.get("thread_ts")
                    if where == channel and parent and parent != ts:
                        replies[parent] = replies.get(parent, 0) + 1
            messages = [
                _shown(
                    ts,
                    message | ({"reply_count": replies[ts], "thread_ts": ts} if ts in replies else {}),
                    body,
                )
                for ts, message in sorted(found, key=lambda pair: float(pair[0]), reverse=True)
                if float(ts) >= oldest
            ]
            return _paged(messages, body, limit=100)

        def _replies(self, body: dict[str, Any]) -> dict[str, Any]:
            """conversations.replies: the thread of `ts`, its parent first on every page, then its
            replies since `oldest`, oldest first; `thread_not_found` for a message never posted."""
            channel, parent_ts = str(body.get("channel", "")), str(body.get("ts", ""))
            oldest = float(body.get("oldest") or 0)
            with state.lock:
                parent = state.messages.get((channel, parent_ts))
                replies = [
                    (ts, dict(message))
                    for (where, ts), message in state.messages.items()
                    if where == channel and ts != parent_ts and message.get("thread_ts") == parent_ts
                ]
            if parent is None:
                return {"ok": False, "error": "thread_not_found"}
            shown = [
                _shown(ts, message, body)
                for ts, message in sorted(replies, key=lambda pair: float(pair[0]))
                if float(ts) >= oldest
            ]
            answer = _paged(shown, body, limit=1000)
            answer["messages"] = [_shown(parent_ts, dict(parent), body), *answer["messages"]]
            return answer

        def _message(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
            channel = str(body.get("channel", ""))
            if method == "chat.postEphemeral":
                return {"ok": True, "message_ts": next_ts()}
            if method == "chat.update":
                ts = str(body.get("ts", ""))
                with state.lock:
                    if (channel, ts) not in state.messages:
                        return {"ok": False, "error": "message_not_found"}
                    thread_ts = state.messages[(channel, ts)].get("thread_ts")  # a reply stays in its thread
                    state.messages[(channel, ts)] = {**body, "thread_ts": thread_ts} if thread_ts else body
                return {"ok": True, "channel": channel, "ts": ts, "text": body.get("text")}
            channel = _dm(channel)
            ts = next_ts()
            metadata = _decoded(body.get("metadata")) or {}
            tagged = metadata.get("event_payload", {}).get("id") if isinstance(metadata, dict) else None
            with state.lock:
                state.messages[(channel, ts)] = body
                state.post_log.append(
                    (channel, time.monotonic(), int(tagged) if tagged is not None else None)
                )
            return {"ok": True, "channel": channel, "ts": ts, "message": {"text": body.get("text"), "ts": ts}}

        def _send(
            self, status: int, headers: dict[str, str], payload: bytes, content_type: str = "application/json"
        ) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(payload)

    return Handler


PERMALINK_BASE = "https://tandem-test.slack.com/archives"


def permalink_answer(body: dict[str, Any]) -> dict[str, Any]:
    """chat.getPermalink as Slack answers it: the message's web address, built from the channel
    and the ts (the dot dropped, "p" in front); a reply in a thread keeps its thread_ts."""
    channel, ts = str(body.get("channel", "")), str(body.get("message_ts", ""))
    if not channel or not ts:
        return {"ok": False, "error": "invalid_arguments"}
    if not channel.startswith(("C", "G", "D")):
        return {"ok": False, "error": "channel_not_found"}
    return {"ok": True, "channel": channel, "permalink": f"{PERMALINK_BASE}/{channel}/p{ts.replace('.', '')}"}


def _shown(ts: str, message: dict[str, Any], request: dict[str, Any]) -> dict[str, Any]:
    """A stored message as Slack lists it: its metadata only when include_all_metadata is asked for."""
    shown: dict[str, Any] = {"type": "message", "ts": ts, "text": message.get("text", "")}
    if message.get("thread_ts"):
        shown["thread_ts"] = message["thread_ts"]
    for key in ("user", "team", "user_team", "bot_id", "subtype", "reply_count"):  # as someone wrote it
        if message.get(key) is not None:
            shown[key] = message[key]
    metadata = _decoded(message.get("metadata"))
    if metadata and str(request.get("include_all_metadata", "")).lower() in ("1", "true"):
        shown["metadata"] = metadata
    return shown


def _paged(messages: list[dict[str, Any]], request: dict[str, Any], *, limit: int) -> dict[str, Any]:
    """One page of `messages` from the request's cursor, with has_more and the next cursor."""
    start = int(request.get("cursor") or 0)
    size = int(request.get("limit") or limit)
    more = start + size < len(messages)
    answer: dict[str, Any] = {"ok": True, "messages": messages[start : start + size], "has_more": more}
    if more:
        answer["response_metadata"] = {"next_cursor": str(start + size)}
    return answer


def _file_object(file_id: str, name: str, title: str, data: bytes, channel: str) -> dict[str, Any]:
    """A file object in the shape of response_files_completeUploadExternal.json."""
    png = data.startswith(b"\x89PNG\r\n\x1a\n")
    return {
        "id": file_id, "created": 1709886459, "timestamp": 1709886459, "name": name, "title": title,
        "mimetype": "image/png" if png else "text/plain", "filetype": "png" if png else "text",
        "user": AUTH_TEST.get("user_id", "UB0T"), "size": len(data), "is_external": False, "is_public": False,
        "url_private": f"https://files.slack.com/files-pri/T111-{file_id}/{name}",
        "permalink": f"https://tandem-test.slack.com/files/UB0T/{file_id}/{name}",
        "channels": [], "groups": [], "ims": [channel] if channel.startswith("D") else [], "shares": {},
    }  # fmt: skip


@contextmanager
def running_stand_in() -> Iterator[StandIn]:
    state = StandIn()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(state))
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
