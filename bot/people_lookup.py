"""Slack's users for the import: csms.csv's emails to member ids and time zones (storage.importer.people).

`users.lookupByEmail` (scope users:read.email) answers with the whole user, time zone
included; `users.info` (users:read) is asked only for a member given by id without a time zone,
or when Slack's answer to the email had none. Each address and each member is asked once per
import. Rate limits are waited out by slack_sdk's retry handlers (Retry-After honoured), never
by hand; what still fails raises PeopleLookupFailed, which rejects the file before anything is
written.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

from bot.settings import Settings
from bot.slack_client import make_web_client
from storage.importer.people import PeopleLookupFailed, SlackPerson

NOT_FOUND = {"users.lookupByEmail": "users_not_found", "users.info": "user_not_found"}
RATE_LIMIT_RETRIES = 8  # 429s in a row one lookup waits out; an import of hundreds meets a few


class SlackPeople:
    """A PeopleDirectory over the Web API, caching every answer (found or not) for its lifetime."""

    def __init__(self, client: WebClient) -> None:
        self._client = client
        self._by_email: dict[str, SlackPerson | None] = {}
        self._by_id: dict[str, SlackPerson | None] = {}

    def by_email(self, email: str) -> SlackPerson | None:
        key = email.strip().lower()
        if key not in self._by_email:
            user = self._ask(
                "users.lookupByEmail", lambda: self._client.users_lookupByEmail(email=email.strip())
            )
            person = _person(user)
            self._by_email[key] = person
            if person is not None and person.timezone is not None:  # as users.info would answer
                self._by_id.setdefault(person.member_id, person)
        return self._by_email[key]

    def by_member_id(self, member_id: str) -> SlackPerson | None:
        if member_id not in self._by_id:
            self._by_id[member_id] = _person(
                self._ask("users.info", lambda: self._client.users_info(user=member_id))
            )
        return self._by_id[member_id]

    @staticmethod
    def _ask(method: str, call: Any) -> dict[str, Any] | None:
        try:
            response = call()
        except SlackApiError as error:
            code = str(error.response.get("error") or error.response.status_code)
            if code == NOT_FOUND[method]:
                return None
            raise PeopleLookupFailed(f"Slack answered {method} with {code}") from error
        except (SlackClientError, OSError) as error:
            raise PeopleLookupFailed(f"could not reach Slack for {method}: {error}") from error
        user = response.get("user")
        if not isinstance(user, dict) or not user.get("id"):
            raise PeopleLookupFailed(f"Slack answered {method} without a user")
        return user


def slack_people(settings: Settings) -> SlackPeople | None:
    """The directory `python app.py import` uses; None without SLACK_BOT_TOKEN."""
    if settings.slack_bot_token is None:
        return None
    client = make_web_client(
        token=settings.slack_bot_token.get_secret_value(),
        api_url=settings.slack_api_url,
        rate_limit_retries=RATE_LIMIT_RETRIES,
    )
    return SlackPeople(client)


def _person(user: dict[str, Any] | None) -> SlackPerson | None:
    return None if user is None else SlackPerson(member_id=str(user["id"]), timezone=user.get("tz") or None)
