"""SlackPoster.find_posted over the Web API stand-in: a reply Tandem owes is looked for in its
thread with conversations.replies (Slack's channel history holds no replies), page after page."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bot.posting import HISTORY_PAGE_SIZE, MessageTag, PostedMessage, SlackPoster
from bot.slack_client import make_web_client
from tests.support.slack_stand_in import StandIn, running_stand_in

TAG = MessageTag("tandem_delivery", 42)


@pytest.fixture
def api() -> Iterator[StandIn]:
    with running_stand_in() as stand_in:
        yield stand_in


def _poster(api: StandIn) -> SlackPoster:
    return SlackPoster(make_web_client(token="xoxb-test", api_url=api.api_url))


def _thread(api: StandIn, poster: SlackPoster, *, replies: int) -> tuple[PostedMessage, PostedMessage]:
    """A parent in a DM, `replies` replies by others, then Tandem's tagged reply last."""
    parent = poster.post(channel="U0OWNER1", text="the card", blocks=[])
    earlier = int(time.time()) - 60
    for n in range(replies):
        api.messages[(parent.channel_id, f"{earlier}.{n:06d}")] = {
            "text": f"reply {n}",
            "thread_ts": parent.ts,
        }
    ours = poster.post(channel=parent.channel_id, text="the packet", blocks=[], tag=TAG, thread_ts=parent.ts)
    return parent, ours


def test_a_reply_in_a_long_thread_is_found_by_paging_through_the_thread(api: StandIn) -> None:
    poster = _poster(api)
    parent, ours = _thread(api, poster, replies=2 * HISTORY_PAGE_SIZE + 50)
    since = datetime.now(UTC) - timedelta(minutes=2)
    found = poster.find_posted(channel="U0OWNER1", tag=TAG, since=since, thread_ts=parent.ts)
    assert found == PostedMessage(parent.channel_id, ours.ts)
    pages = api.calls_to("conversations.replies")
    assert [call.body.get("cursor") for call in pages] == [None, "200", "400"]
    assert all(call.body["ts"] == parent.ts and call.body["channel"] == parent.channel_id for call in pages)
    assert all(str(call.body["include_all_metadata"]).lower() in ("1", "true") for call in pages)
    assert api.calls_to("conversations.history") == []


def test_a_reply_is_not_in_the_channels_history(api: StandIn) -> None:
    poster = _poster(api)
    parent, _ = _thread(api, poster, replies=3)
    since = datetime.now(UTC) - timedelta(minutes=2)
    assert (
        poster.find_posted(channel=parent.channel_id, tag=TAG, since=since) is None
    )  # as Slack: parents only
    assert poster.find_posted(channel=parent.channel_id, tag=MessageTag("tandem_delivery", 7), since=since,
                              thread_ts=parent.ts) is None  # fmt: skip


def test_the_stand_in_answers_replies_like_slack(api: StandIn) -> None:
    poster = _poster(api)
    parent, ours = _thread(api, poster, replies=3)
    client = make_web_client(token="xoxb-test", api_url=api.api_url)
    page = client.conversations_replies(
        channel=parent.channel_id, ts=parent.ts, limit=2, include_all_metadata=True
    )
    assert page["messages"][0]["ts"] == parent.ts  # the parent first
    assert page["has_more"] and page["response_metadata"]["next_cursor"]
    last = client.conversations_replies(channel=parent.channel_id, ts=parent.ts, limit=2, include_all_metadata=True,
                                        cursor=page["response_metadata"]["next_cursor"])  # fmt: skip
    assert not last["has_more"] and last["messages"][-1]["ts"] == ours.ts
    assert last["messages"][-1]["metadata"] == TAG.as_metadata()
    bare = client.conversations_replies(channel=parent.channel_id, ts=parent.ts)
    assert "metadata" not in bare["messages"][-1]  # metadata only when asked for
    with pytest.raises(Exception, match="thread_not_found"):
        client.conversations_replies(channel=parent.channel_id, ts="1.000001")
