"""`prism-bot run` as a self-hoster runs it: a real process, a token, the local Bot API."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.support.process import spawn_bot
from tests.support.site import Site, article_site
from tests.support.telegram_server import BotApiServer, bot_api, chat, user

__all__ = ["article_site", "bot_api"]  # fixtures, used by name


async def test_run_answers_links_and_commands_then_stops_cleanly(
    tmp_path: Path, bot_api: BotApiServer, article_site: Site
) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        f'[storage]\npath = "{tmp_path / "run.db"}"\n'
        '[fetch]\nallow_networks = ["127.0.0.0/8"]\n'
        f'[telegram]\nbase_url = "{bot_api.base_url}"\npoll_timeout_s = 0.2\n'
    )
    proc = await spawn_bot("run", "--config", str(config), TELEGRAM_BOT_TOKEN=bot_api.token)
    try:
        alice = user(777, "Alice")
        await bot_api.wait_for(lambda: bool(bot_api.calls_to("setMyCommands")), within=30)
        bot_api.push_message(
            chat(777), f"what about {article_site.page_url('economy-rates')}", alice
        )
        await bot_api.wait_for(lambda: bool(bot_api.sent_to(777)), within=30)
        bot_api.push_message(chat(777), "/help", alice)
        await bot_api.wait_for(lambda: len(bot_api.sent_to(777)) >= 2, within=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
    analysis, help_text = (m["text"] for m in bot_api.sent_to(777)[:2])
    assert "min read" in analysis and "Economy" in analysis
    assert "/subscribe" in help_text
    assert bot_api.calls_to("sendChatAction")  # typing while it worked
    assert proc.returncode == 0, err.decode()
    assert b"event=stopped" in err
    assert bot_api.token.encode() not in err
    assert bot_api.token.split(":")[1].encode() not in err
