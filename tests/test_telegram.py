"""The Telegram adapter end to end: the real python-telegram-bot against a local Bot API.

Two kinds of test: with the real core (links become analyses, errors get their
answers), and with a recording core that returns fixed replies, where what matters is
exactly which Request an update becomes (commands, deep links, admin rights, replies).
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from adapters.telegram_adapter import TelegramAdapter
from bot.config import Config
from bot.errors import ChannelGone, ChannelMoved, SendFailed
from bot.models import Action, ChannelRef, Paragraph, Reply, Request
from tests.support.telegram_server import (
    BotApiServer,
    bad_request,
    blocked,
    bot_api,
    chat,
    migrated,
    parse_html,
    retry_after,
    user,
)

__all__ = ["bot_api"]  # the fixture, used by name

ALICE = user(501, "Alice")
BOB = user(502, "Bob")
GROUP = chat(-1001234, "supergroup", "Newsroom")


class RecordingCore:
    """Stands in for the core where the Request itself is under test."""

    def __init__(self, replies: list[Reply] | None = None) -> None:
        self.requests: list[Request] = []
        self.replies = replies if replies is not None else [Reply(kind="info", title="ok")]
        self._arrived = asyncio.Event()

    async def handle(self, request: Request) -> list[Reply]:
        self.requests.append(request)
        arrived, self._arrived = self._arrived, asyncio.Event()
        arrived.set()
        return list(self.replies)

    async def first_update(self, bot: str, update_id: int) -> bool:
        return True  # one process: every update is new

    async def wait(self, n: int) -> list[Request]:
        async with asyncio.timeout(10):
            while len(self.requests) < n:
                await self._arrived.wait()
        return self.requests


def tg_config(config: Config, server: BotApiServer, **telegram: Any) -> Config:
    """Telegram pointed at the local server; tiny poll timeout; no pacing in tests."""
    return config.with_overrides(
        telegram={
            "token": server.token,
            "base_url": server.base_url,
            "poll_timeout_s": 0.2,
            "max_retries": 2,
            **telegram,
        },
        digest={"telegram_rate": 1000.0, "telegram_chat_per_minute": 1000.0},
    )


@pytest.fixture
def recording() -> RecordingCore:
    return RecordingCore()


@pytest.fixture
async def tg(
    config: Config, bot_api: BotApiServer, recording: RecordingCore
) -> AsyncIterator[TelegramAdapter]:
    adapter = TelegramAdapter(tg_config(config, bot_api), recording, typing_every=0.05)
    await adapter.start()
    try:
        yield adapter
    finally:
        await adapter.stop()


async def requests_after(core: RecordingCore, n: int = 1) -> list[Request]:
    return await core.wait(n)


# --- start-up -------------------------------------------------------------------------


async def test_start_registers_commands_for_private_and_group_scopes(
    tg: TelegramAdapter, bot_api: BotApiServer
) -> None:
    calls = bot_api.calls_to("setMyCommands")
    assert [c.params["scope"]["type"] for c in calls] == ["all_private_chats", "all_group_chats"]
    names = [c["command"] for c in calls[0].params["commands"]]
    assert names[:3] == ["start", "help", "analyze"]
    assert "show" not in names  # hidden: reached by buttons and deep links
    assert tg.username == bot_api.username


async def test_missing_token_is_a_config_error(config: Config) -> None:
    from bot.errors import ConfigError

    with pytest.raises(ConfigError, match=r"\[telegram\] token"):
        TelegramAdapter(config, RecordingCore())


# --- updates become requests ------------------------------------------------------------


async def test_deep_link_start_payload_opens_the_analysis(
    tg: TelegramAdapter, bot_api: BotApiServer, recording: RecordingCore
) -> None:
    bot_api.push_message(chat(501), "/start a_17", ALICE)
    (request,) = await requests_after(recording)
    assert (request.command, request.text) == ("show", "17")
    assert request.channel == ChannelRef("telegram", "501")
    assert (request.user, request.is_private, request.is_admin) == ("501", True, True)


async def test_command_with_bot_name_and_arguments(
    tg: TelegramAdapter, bot_api: BotApiServer, recording: RecordingCore
) -> None:
    bot_api.push_message(GROUP, f"/related@{bot_api.username}   12", ALICE)
    (request,) = await requests_after(recording)
    assert (request.command, request.text, request.is_private) == ("related", "12", False)


async def test_command_for_another_bot_is_ignored(
    tg: TelegramAdapter, bot_api: BotApiServer, recording: RecordingCore
) -> None:
    bot_api.push_message(GROUP, "/help@some_other_bot", ALICE)
    bot_api.push_message(GROUP, "/help", ALICE)
    (request,) = await requests_after(recording)
    await asyncio.sleep(0.1)
    assert [r.command for r in recording.requests] == ["help"]
    assert request.channel.id == str(GROUP["id"])


async def test_group_links_only_when_the_bot_is_mentioned(
    tg: TelegramAdapter, bot_api: BotApiServer, recording: RecordingCore
) -> None:
    bot_api.push_message(GROUP, "look https://news.example/a", ALICE)
    bot_api.push_message(GROUP, f"@{bot_api.username} what about https://news.example/b", BOB)
    (request,) = await requests_after(recording)
    await asyncio.sleep(0.1)
    assert len(recording.requests) == 1
    assert request.command == "message"
    assert request.text == "what about https://news.example/b"
    assert request.user == "502"


async def test_group_link_in_a_reply_to_the_bot(
    tg: TelegramAdapter, bot_api: BotApiServer, recording: RecordingCore
) -> None:
    bot_msg = bot_api.message(GROUP, "an earlier answer", bot_api.bot_user())
    bot_api.push_message(GROUP, "and https://news.example/c", ALICE, reply_to_message=bot_msg)
    (request,) = await requests_after(recording)
    assert (request.command, request.text) == ("message", "and https://news.example/c")


async def test_private_free_text_goes_to_the_core(
    tg: TelegramAdapter, bot_api: BotApiServer, recording: RecordingCore
) -> None:
    bot_api.push_message(chat(501), "two https://a.example/x and https://b.example/y", ALICE)
    (request,) = await requests_after(recording)
    assert request.command == "message"
    assert request.text == "two https://a.example/x and https://b.example/y"


async def test_channel_posts_take_commands_with_admin_rights(
    tg: TelegramAdapter, bot_api: BotApiServer, recording: RecordingCore
) -> None:
    channel = chat(-1009999, "channel", "Daily")
    bot_api.push_channel_post(channel, "just a post https://x.example/a")
    bot_api.push_channel_post(channel, "/subscribe Economy")
    (request,) = await requests_after(recording)
    await asyncio.sleep(0.1)
    assert len(recording.requests) == 1
    assert (request.command, request.text, request.is_admin) == ("subscribe", "Economy", True)
    assert bot_api.calls_to("getChatMember") == []


@pytest.mark.parametrize(
    ("status", "admin"),
    [("member", False), ("administrator", True), ("creator", True), ("left", False)],
)
async def test_group_admin_rights_from_get_chat_member(
    tg: TelegramAdapter,
    bot_api: BotApiServer,
    recording: RecordingCore,
    status: str,
    admin: bool,
) -> None:
    bot_api.members[(GROUP["id"], ALICE["id"])] = status
    bot_api.push_message(GROUP, "/subscribe Economy 08:00", ALICE)
    (request,) = await requests_after(recording)
    assert request.is_admin is admin
    (call,) = bot_api.calls_to("getChatMember")
    assert (int(call.params["chat_id"]), call.params["user_id"]) == (GROUP["id"], ALICE["id"])


async def test_anonymous_group_admin_counts_as_admin(
    tg: TelegramAdapter, bot_api: BotApiServer, recording: RecordingCore
) -> None:
    bot_api.push_message(GROUP, "/unsubscribe", user(1087968824, "Group"), sender_chat=GROUP)
    (request,) = await requests_after(recording)
    assert request.is_admin is True
    assert bot_api.calls_to("getChatMember") == []


async def test_non_admin_commands_skip_the_admin_lookup(
    tg: TelegramAdapter, bot_api: BotApiServer, recording: RecordingCore
) -> None:
    bot_api.push_message(GROUP, "/subscriptions", ALICE)
    (request,) = await requests_after(recording)
    assert request.is_admin is False
    assert bot_api.calls_to("getChatMember") == []


async def test_related_button_is_answered_then_replied_in_the_chat(
    tg: TelegramAdapter, bot_api: BotApiServer, recording: RecordingCore
) -> None:
    shown = bot_api.message(chat(501), "an analysis", bot_api.bot_user())
    bot_api.push_callback(ALICE, shown, "related:42")
    (request,) = await requests_after(recording)
    assert (request.command, request.text, request.reply_to) == ("related", "42", 42)
    await bot_api.wait_for(lambda: len(bot_api.sent) == 1)
    methods = [c.method for c in bot_api.calls if c.method != "getUpdates"]
    assert methods.index("answerCallbackQuery") < methods.index("sendMessage")
    assert bot_api.sent[0]["chat"]["id"] == 501


async def test_related_as_a_reply_reads_the_analysis_id_off_the_button(
    tg: TelegramAdapter, bot_api: BotApiServer, recording: RecordingCore
) -> None:
    markup = {"inline_keyboard": [[{"text": "Related", "callback_data": "related:9"}]]}
    shown = bot_api.message(chat(501), "analysis", bot_api.bot_user(), reply_markup=markup)
    bot_api.push_message(chat(501), "/related", ALICE, reply_to_message=shown)
    (request,) = await requests_after(recording)
    assert (request.command, request.text, request.reply_to) == ("related", "", 9)


async def test_related_as_a_reply_to_a_non_last_part_uses_memory(
    config: Config, bot_api: BotApiServer
) -> None:
    long = Reply(
        kind="analysis",
        title="Long",
        blocks=tuple(Paragraph("Sentence number one is here. " * 60) for _ in range(8)),
        actions=(Action("related", "Related", analysis_id=5),),
        analysis_id=5,
    )
    core = RecordingCore([long])
    adapter = TelegramAdapter(tg_config(config, bot_api), core)
    await adapter.start()
    try:
        bot_api.push_message(chat(501), "/show 5", ALICE)
        await bot_api.wait_for(lambda: len(bot_api.sent) >= 3)
        first = bot_api.sent[0]
        assert "reply_markup" not in first  # the keyboard rides on the last part only
        bot_api.push_message(chat(501), "/related", ALICE, reply_to_message=first)
        requests = await requests_after(core, 2)
        assert requests[1].reply_to == 5
    finally:
        await adapter.stop()


# --- sending: digests use send() ------------------------------------------------------------


NOTE = Reply(kind="digest", title="Your digest", blocks=(Paragraph("Three new analyses."),))


async def test_send_delivers_html_without_link_preview(
    tg: TelegramAdapter, bot_api: BotApiServer
) -> None:
    await tg.send(ChannelRef("telegram", "-100777"), NOTE)
    (call,) = bot_api.calls_to("sendMessage")
    assert call.params["parse_mode"] == "HTML"
    assert call.params["link_preview_options"] == {"is_disabled": True}
    assert int(call.params["chat_id"]) == -100777
    assert bot_api.sent[0]["text"] == "Your digest\n\nThree new analyses."


async def test_send_honours_retry_after_then_succeeds(
    tg: TelegramAdapter, bot_api: BotApiServer
) -> None:
    bot_api.fail("sendMessage", retry_after(0.05))
    await tg.send(ChannelRef("telegram", "-100777"), NOTE)
    calls = bot_api.calls_to("sendMessage")
    assert len(calls) == 2
    assert len(bot_api.sent) == 1
    assert calls[1].at - calls[0].at > 0  # retried after the pause, not dropped


async def test_send_gives_up_after_max_retries(tg: TelegramAdapter, bot_api: BotApiServer) -> None:
    failure = retry_after(0.01)
    failure.times = 10
    bot_api.fail("sendMessage", failure)
    with pytest.raises(SendFailed, match="rate limited"):
        await tg.send(ChannelRef("telegram", "-100777"), NOTE)
    assert len(bot_api.calls_to("sendMessage")) == 3  # 1 + max_retries (2)


async def test_send_to_a_chat_that_blocked_the_bot_raises_channel_gone(
    tg: TelegramAdapter, bot_api: BotApiServer
) -> None:
    bot_api.fail("sendMessage", blocked())
    with pytest.raises(ChannelGone, match="blocked"):
        await tg.send(ChannelRef("telegram", "501"), NOTE)
    assert len(bot_api.calls_to("sendMessage")) == 1  # never retried


async def test_send_to_a_migrated_group_raises_channel_moved_with_the_new_id(
    tg: TelegramAdapter, bot_api: BotApiServer
) -> None:
    bot_api.fail("sendMessage", migrated(-1005550001))
    with pytest.raises(ChannelMoved) as caught:
        await tg.send(ChannelRef("telegram", "-4444"), NOTE)
    assert caught.value.new_id == "-1005550001"


async def test_refused_entities_are_resent_as_plain_text(
    tg: TelegramAdapter, bot_api: BotApiServer
) -> None:
    bot_api.fail("sendMessage", bad_request("Bad Request: can't parse entities: odd"))
    await tg.send(ChannelRef("telegram", "501"), NOTE)
    first, second = bot_api.calls_to("sendMessage")
    assert first.params["parse_mode"] == "HTML"
    assert "parse_mode" not in second.params
    assert second.params["text"] == "Your digest\n\nThree new analyses."


async def test_other_bad_requests_are_not_retried(
    tg: TelegramAdapter, bot_api: BotApiServer
) -> None:
    bot_api.fail("sendMessage", bad_request("Bad Request: message thread not found"))
    with pytest.raises(SendFailed, match="thread not found"):
        await tg.send(ChannelRef("telegram", "501"), NOTE)
    assert len(bot_api.calls_to("sendMessage")) == 1


async def test_chat_not_found_means_the_channel_is_gone(
    tg: TelegramAdapter, bot_api: BotApiServer
) -> None:
    bot_api.fail("sendMessage", bad_request("Bad Request: chat not found"))
    with pytest.raises(ChannelGone):
        await tg.send(ChannelRef("telegram", "-100123"), NOTE)


async def test_a_failed_reply_to_a_user_is_logged_not_raised(
    tg: TelegramAdapter,
    bot_api: BotApiServer,
    recording: RecordingCore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    bot_api.fail("sendMessage", blocked())
    bot_api.push_message(chat(501), "/help", ALICE)
    await requests_after(recording)
    await bot_api.wait_for(lambda: bool(bot_api.calls_to("sendMessage")))
    bot_api.push_message(chat(501), "/help", ALICE)
    await bot_api.wait_for(lambda: len(bot_api.sent) == 1)
    assert any(r.getMessage().startswith("telegram-reply-failed ") for r in caplog.records)


# --- webhook mode ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


async def test_webhook_accepts_the_secret_token_and_refuses_without(
    config: Config, bot_api: BotApiServer, recording: RecordingCore
) -> None:
    port = free_port()
    hook = f"http://127.0.0.1:{port}/tg-hook"
    cfg = tg_config(config, bot_api, webhook_url=hook, port=port, secret_token="s3cret-XYZ")
    adapter = TelegramAdapter(cfg, recording)
    await adapter.start()
    try:
        (call,) = bot_api.calls_to("setWebhook")
        assert (call.params["url"], call.params["secret_token"]) == (hook, "s3cret-XYZ")
        update = {"update_id": 1, "message": bot_api.message(chat(501), "/help", ALICE)}
        async with aiohttp.ClientSession() as http:
            async with http.post(hook, json=update) as refused:
                assert refused.status == 403
            bad = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            async with http.post(hook, json=update, headers=bad) as wrong:
                assert wrong.status == 403
            assert recording.requests == []
            good = {"X-Telegram-Bot-Api-Secret-Token": "s3cret-XYZ"}
            async with http.post(hook, json=update, headers=good) as accepted:
                assert accepted.status == 200
        (request,) = await requests_after(recording)
        assert request.command == "help"
        await bot_api.wait_for(lambda: len(bot_api.sent) == 1)
    finally:
        await adapter.stop()
    assert bot_api.calls_to("getUpdates") == []


# --- secrets ------------------------------------------------------------------------------


async def test_the_token_is_nowhere_in_the_logs(
    config: Config,
    bot_api: BotApiServer,
    recording: RecordingCore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    adapter = TelegramAdapter(tg_config(config, bot_api), recording, typing_every=0.05)
    await adapter.start()
    try:
        bot_api.push_message(chat(501), "/analyze https://news.example/a", ALICE)
        await bot_api.wait_for(lambda: len(bot_api.sent) == 1)
        bot_api.fail("sendMessage", bad_request("Bad Request: chat not found"))
        with pytest.raises(ChannelGone):
            await adapter.send(ChannelRef("telegram", "-1"), NOTE)
    finally:
        await adapter.stop()
    logged = caplog.text + "".join(str(r.__dict__) for r in caplog.records)
    assert len(caplog.records) > 5  # the session really logged
    assert bot_api.token not in logged
    assert bot_api.token.split(":")[1] not in logged


# --- the HTML the server accepted ----------------------------------------------------------


async def test_every_message_sent_was_valid_telegram_html(
    tg: TelegramAdapter, bot_api: BotApiServer, recording: RecordingCore
) -> None:
    recording.replies = [
        Reply(kind="info", title="<b>x</b> & y", blocks=(Paragraph("1 < 2 > 0"),)),
        Reply(kind="error", error="usage", blocks=(Paragraph("usage: /analyze <url>"),)),
    ]
    trigger = bot_api.push_message(chat(501), "/analyze", ALICE)
    await bot_api.wait_for(lambda: len(bot_api.sent) == 2)
    info_call, error_call = bot_api.calls_to("sendMessage")
    assert parse_html(info_call.params["text"]) == "<b>x</b> & y\n\n1 < 2 > 0"
    assert bot_api.sent[1]["text"] == "usage: /analyze <url>"
    assert "reply_parameters" not in info_call.params
    assert error_call.params["reply_parameters"]["message_id"] == trigger["message_id"]


class SlowCore(RecordingCore):
    """Takes a while to answer, as a generation does."""

    async def handle(self, request: Request) -> list[Reply]:
        await asyncio.sleep(0.3)
        return await super().handle(request)


async def test_typing_is_renewed_while_the_core_works_and_stops_after(
    config: Config, bot_api: BotApiServer
) -> None:
    adapter = TelegramAdapter(tg_config(config, bot_api), SlowCore(), typing_every=0.05)
    await adapter.start()
    try:
        bot_api.push_message(chat(501), "https://news.example/a", ALICE)
        await bot_api.wait_for(lambda: len(bot_api.sent) == 1)
        typing = len(bot_api.calls_to("sendChatAction"))
        assert typing >= 3  # 0.3 s of work, renewed every 0.05 s
        last_typing = bot_api.calls_to("sendChatAction")[-1].at
        assert last_typing < bot_api.calls_to("sendMessage")[0].at
        await asyncio.sleep(0.15)
        assert len(bot_api.calls_to("sendChatAction")) == typing  # the renewal was cancelled
    finally:
        await adapter.stop()


async def test_quick_commands_send_no_typing(
    tg: TelegramAdapter, bot_api: BotApiServer, recording: RecordingCore
) -> None:
    bot_api.push_message(chat(501), "/help", ALICE)
    await bot_api.wait_for(lambda: len(bot_api.sent) == 1)
    assert bot_api.calls_to("sendChatAction") == []


# --- the language hint ---------------------------------------------------------------------


async def test_a_private_chat_hints_the_users_language(
    tg: TelegramAdapter, bot_api: BotApiServer, recording: RecordingCore
) -> None:
    bot_api.push_message(chat(501), "/language", {**ALICE, "language_code": "de"})
    (request,) = await requests_after(recording)
    assert (request.command, request.language) == ("language", "de")


async def test_a_group_gives_no_user_language_hint(
    tg: TelegramAdapter, bot_api: BotApiServer, recording: RecordingCore
) -> None:
    bot_api.push_message(GROUP, "/related 12", {**ALICE, "language_code": "de"})
    (request,) = await requests_after(recording)
    assert request.language is None
