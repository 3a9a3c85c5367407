"""Both Slack manifests declare every slash command the app registers, the events it listens
to, and exactly the bot scopes the code needs: the Web API methods called anywhere in the app
(found in the source), mapped to the scopes Slack's method reference asks for."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from slack_sdk import WebClient

from bot.ids import Command

ROOT = Path(__file__).resolve().parents[2]
SLACK = ROOT / "slack"
MANIFESTS = ["manifest.http.yaml", "manifest.socket.yaml"]
SOURCES = ["app.py", "bot", "handlers", "storage", "prompts", "scoring"]

# Web API method (as slack_sdk's WebClient names it) -> the bot scopes Slack's reference
# (docs.slack.dev/reference/methods/<method>) requires for the way Tandem calls it. A method the
# code calls that is missing here fails the test: add it with its scopes (none: an empty tuple).
METHOD_SCOPES: dict[str, tuple[str, ...]] = {
    "auth_test": (),
    # the assistant's "is looking…" (chat:write; assistant:write, being retired, is no longer needed)
    "assistant_threads_setStatus": ("chat:write",),
    "assistant_threads_setSuggestedPrompts": ("assistant:write",),
    "chat_postMessage": ("chat:write",),
    "chat_postEphemeral": ("chat:write",),
    "chat_update": ("chat:write",),
    "chat_delete": ("chat:write",),
    "chat_getPermalink": (),
    "conversations_open": ("im:write",),  # DMs only (an mpim would need mpim:write)
    # Posted-once checks look where Tandem posted: its DMs, and the escalation channel (a public
    # channel Tandem was invited to: a card's copy there, a hand-off packet in that copy's thread).
    # ... and `listen backfill` reads linked Slack Connect channels, public and private.
    "conversations_history": ("im:history", "channels:history", "groups:history"),
    "conversations_replies": ("im:history", "channels:history", "groups:history"),
    # a Slack Connect channel Tandem was added to: public or private (bot.workflows.channels)
    "conversations_info": ("channels:read", "groups:read"),
    "conversations_members": ("channels:read", "groups:read"),
    "conversations_join": ("channels:join",),
    "files_upload_v2": ("files:write",),  # files.getUploadURLExternal + files.completeUploadExternal
    "reactions_add": ("reactions:write",),
    "users_info": ("users:read",),
    "users_list": ("users:read",),
    # Slack grants users:read.email only together with users:read
    "users_lookupByEmail": ("users:read", "users:read.email"),
    "views_open": (),
    "views_publish": (),
    "views_push": (),
    "views_update": (),
}
# Bolt's listener helpers that call the Web API themselves.
HELPER_METHODS = {"say": "chat_postMessage"}
# Events a listener subscribes to (`app.event(...)` name -> the manifest's bot_events), and the
# scope each bot event needs. Tandem's `message` listener answers DMs (message.im) and replies in
# the threads of its own messages in channels (message.channels); mentions come as app_mention.
# handlers.conversation_events (a middleware beside that listener) stores the messages of linked
# Slack Connect channels, public (message.channels) and private (message.groups).
EVENT_SUBSCRIPTIONS: dict[str, tuple[str, ...]] = {
    "app_home_opened": ("app_home_opened",),
    "app_mention": ("app_mention",),
    "message": ("message.im", "message.channels", "message.groups"),
    "member_joined_channel": ("member_joined_channel",),  # Tandem added to a channel
    "channel_shared": ("channel_shared",),  # a channel Tandem is in became a Slack Connect channel
}
EVENT_SCOPES: dict[str, tuple[str, ...]] = {
    "app_home_opened": (),
    "app_mention": ("app_mentions:read",),
    "message.im": ("im:history",),
    "message.channels": ("channels:history",),
    "member_joined_channel": ("channels:read", "groups:read"),
    "channel_shared": ("channels:read", "groups:read"),
    "message.groups": ("groups:history",),
}


def _source_files() -> list[Path]:
    files: list[Path] = []
    for name in SOURCES:
        path = ROOT / name
        files.extend([path] if path.is_file() else sorted(path.rglob("*.py")))
    return files


def called_methods() -> set[str]:
    """Every WebClient method called in the app's source (`client.chat_postMessage(…)`,
    `.api_call("chat.postMessage", …)`, Bolt's `say(…)`)."""
    web_methods = {name for name in dir(WebClient) if not name.startswith("_")} - {"api_call"}
    found: set[str] = set()
    for path in _source_files():
        text = path.read_text()
        found.update(name for name in re.findall(r"\.(\w+)\(", text) if name in web_methods)
        found.update(name.replace(".", "_") for name in re.findall(r"api_call\(\s*[\"']([\w.]+)[\"']", text))
        found.update(method for helper, method in HELPER_METHODS.items() if re.search(rf"\b{helper}\(", text))
    return found


def listened_events() -> set[str]:
    names: set[str] = set()
    for path in _source_files():
        text = path.read_text()
        names.update(re.findall(r"\bapp\.event\(\s*[\"'](\w+)[\"']", text))
        if re.search(r"\bapp\.message\(", text):
            names.add("message")
    return names


def manifest_list(text: str, section: str) -> set[str]:
    """The `- item` lines under `section:` (the manifests are plain YAML lists; comments allowed)."""
    match = re.search(rf"^(\s*){re.escape(section)}:\s*\n((?:\1\s+-.*\n?)+)", text, re.MULTILINE)
    assert match, f"no {section} list"
    return {line.split("#")[0].strip().removeprefix("- ").strip() for line in match.group(2).splitlines()}


def needed_scopes() -> set[str]:
    methods = called_methods()
    unknown = methods - set(METHOD_SCOPES)
    assert not unknown, f"add these Web API methods and their scopes to METHOD_SCOPES: {sorted(unknown)}"
    scopes = {scope for method in methods for scope in METHOD_SCOPES[method]}
    scopes |= {scope for event in needed_events() for scope in EVENT_SCOPES[event]}
    if list(Command):
        scopes.add("commands")
    return scopes


def needed_events() -> set[str]:
    listened = listened_events()
    unknown = listened - set(EVENT_SUBSCRIPTIONS)
    assert not unknown, f"add these events to EVENT_SUBSCRIPTIONS: {sorted(unknown)}"
    return {event for name in listened for event in EVENT_SUBSCRIPTIONS[name]}


def test_the_source_scan_finds_the_methods_tandem_is_known_to_call() -> None:
    # A scan that found nothing would make the scope test pass vacuously.
    assert {"chat_postMessage", "chat_update", "views_publish", "files_upload_v2",
            "conversations_open", "users_lookupByEmail", "users_info"} <= called_methods()  # fmt: skip
    assert {"app_home_opened", "message"} <= listened_events()


@pytest.mark.parametrize("manifest", MANIFESTS)
def test_the_manifest_asks_for_exactly_the_scopes_the_code_uses(manifest: str) -> None:
    text = (SLACK / manifest).read_text()
    declared = manifest_list(text, "bot")
    needed = needed_scopes()
    assert not needed - declared, f"missing scopes: {sorted(needed - declared)}"
    assert not declared - needed, f"scopes nothing uses: {sorted(declared - needed)}"


@pytest.mark.parametrize("manifest", MANIFESTS)
def test_the_manifest_subscribes_to_exactly_the_events_listened_to(manifest: str) -> None:
    text = (SLACK / manifest).read_text()
    assert manifest_list(text, "bot_events") == needed_events()
    assert re.search(r"^\s*messages_tab_enabled: true$", text, re.MULTILINE)  # DMs reach Tandem
    assert re.search(r"^\s*messages_tab_read_only_enabled: false$", text, re.MULTILINE)
    assert re.search(r"^  agent_view:.*\n    agent_description: \S", text, re.MULTILINE)  # the chat surface


@pytest.mark.parametrize("manifest", MANIFESTS)
def test_every_command_is_in_the_manifest(manifest: str) -> None:
    text = (SLACK / manifest).read_text()
    declared = set(re.findall(r"^\s*- command: (/\S+)\s*$", text, re.MULTILINE))
    assert declared == {command.value for command in Command}
    if manifest == "manifest.http.yaml":
        urls = re.findall(r"^\s+url: https://tandem.example.com/slack/events$", text, re.MULTILINE)
        assert len(urls) == len(declared), "each command posts to the one Request URL"
