"""Builders for what Slack sends an AI app over Socket Mode besides messages: the
assistant_thread_started and assistant_thread_context_changed events (pushed in events_api
envelopes like any event), and the block_actions payload of a click on a feedback_buttons
element, which travels in an `interactive` envelope.
"""

from __future__ import annotations

import itertools
import uuid
from typing import Any

from standins.slack_socket import APP_ID, TEAM_ID, VERIFICATION_TOKEN, next_ts

_triggers = itertools.count(1)


def _assistant_event(
    type_: str,
    *,
    user: str,
    channel: str,
    thread_ts: str | None,
    context_channel: str | None,
    context_team: str,
    enterprise_id: str | None,
) -> dict[str, Any]:
    # Slack sends the channel the person is looking at; none when they look at no channel.
    context: dict[str, Any] = {}
    if context_channel is not None:
        context = {
            "channel_id": context_channel,
            "team_id": context_team,
            "enterprise_id": enterprise_id,
        }
    return {
        "type": type_,
        "assistant_thread": {
            "user_id": user,
            "context": context,
            "channel_id": channel,
            "thread_ts": thread_ts or next_ts(),
        },
        "event_ts": next_ts(),
    }


def assistant_thread_started(
    user: str = "U0ADA",
    channel: str = "D0ADA",
    thread_ts: str | None = None,
    *,
    context_channel: str | None = "C0GEN",
    context_team: str = TEAM_ID,
    enterprise_id: str | None = None,
) -> dict[str, Any]:
    """The event Slack sends when `user` opens a new assistant thread (in the DM `channel`,
    at `thread_ts`: a fresh one unless given) while looking at `context_channel`."""
    return _assistant_event(
        "assistant_thread_started",
        user=user,
        channel=channel,
        thread_ts=thread_ts,
        context_channel=context_channel,
        context_team=context_team,
        enterprise_id=enterprise_id,
    )


def assistant_thread_context_changed(
    user: str = "U0ADA",
    channel: str = "D0ADA",
    thread_ts: str | None = None,
    *,
    context_channel: str | None = "C0GEN",
    context_team: str = TEAM_ID,
    enterprise_id: str | None = None,
) -> dict[str, Any]:
    """The event Slack sends when `user`, with the assistant thread open, moves to another
    channel: `context_channel`."""
    return _assistant_event(
        "assistant_thread_context_changed",
        user=user,
        channel=channel,
        thread_ts=thread_ts,
        context_channel=context_channel,
        context_team=context_team,
        enterprise_id=enterprise_id,
    )


def _feedback_buttons(message: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The first feedback_buttons element in the message's blocks, and its block."""
    blocks = message.get("blocks")
    for block in blocks if isinstance(blocks, list) else []:
        elements = block.get("elements") if isinstance(block, dict) else None
        for element in elements if isinstance(elements, list) else []:
            if isinstance(element, dict) and element.get("type") == "feedback_buttons":
                return block, element
    raise ValueError(f"message {message.get('ts')} has no feedback_buttons element")


def feedback_click(
    message: dict[str, Any],
    *,
    channel: str,
    channel_name: str,
    positive: bool = True,
    user: str = "U0ADA",
    user_name: str = "ada",
    response_url: str,
) -> dict[str, Any]:
    """The block_actions payload Slack sends when `user` clicks the positive (thumbs up) or
    negative button of the feedback_buttons element in `message`, a message as
    conversations.history shows it. Raises ValueError if its blocks hold no such element."""
    block, element = _feedback_buttons(message)
    button = element["positive_button" if positive else "negative_button"]
    # Slack gives blocks and elements sent without ids ids of its own; these are stable.
    block_id = str(block.get("block_id") or f"b{str(message['ts'])[-6:]}")
    action_id = str(element.get("action_id") or f"a{str(message['ts'])[-6:]}")
    action = {
        "type": "feedback_buttons",
        "action_id": action_id,
        "block_id": block_id,
        "text": {**button.get("text", {}), "emoji": True},
        "value": str(button["value"]),
        "action_ts": next_ts(),
    }
    container: dict[str, Any] = {
        "type": "message",
        "message_ts": message["ts"],
        "channel_id": channel,
        "is_ephemeral": False,
    }
    if message.get("thread_ts"):
        container["thread_ts"] = message["thread_ts"]
    shown = {
        **message,
        "blocks": [{**b, "block_id": block_id} if b is block else b for b in message["blocks"]],
    }
    return {
        "type": "block_actions",
        "user": {"id": user, "username": user_name, "name": user_name, "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": f"{next(_triggers)}.{TEAM_ID}.{uuid.uuid4().hex}",
        "team": {"id": TEAM_ID, "domain": "lukas-test"},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel, "name": channel_name},
        "message": shown,
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }


def interactive_envelope(payload: dict[str, Any], *, envelope_id: str) -> dict[str, Any]:
    """The Socket Mode envelope around an interaction payload."""
    return {
        "envelope_id": envelope_id,
        "payload": payload,
        "type": "interactive",
        "accepts_response_payload": False,
    }
