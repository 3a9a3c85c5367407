"""Both Slack manifests declare every slash command the app registers, and the scopes the
QBR upload needs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.ids import Command

SLACK = Path(__file__).resolve().parents[2] / "slack"


@pytest.mark.parametrize("manifest", ["manifest.http.yaml", "manifest.socket.yaml"])
def test_every_command_is_in_the_manifest_with_files_write(manifest: str) -> None:
    text = (SLACK / manifest).read_text()
    declared = set(re.findall(r"^\s*- command: (/\S+)\s*$", text, re.MULTILINE))
    assert declared == {command.value for command in Command}
    assert re.search(r"^\s*- files:write\b", text, re.MULTILINE) and re.search(r"^\s*- chat:write\b", text, re.MULTILINE)
    if manifest == "manifest.http.yaml":
        urls = re.findall(r"^\s+url: https://tandem.example.com/slack/events$", text, re.MULTILINE)
        assert len(urls) == len(declared), "each command posts to the one Request URL"
