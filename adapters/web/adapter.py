"""The web adapter: the site on aiohttp.web, on the shared event loop."""

from __future__ import annotations

import logging

from aiohttp import web

from adapters.web.site import Site
from bot.config import Config
from bot.core import Core
from bot.lifecycle import StartStop
from bot.logs import event

log = logging.getLogger("prism.web")

MAX_LINE = 32 * 1024


class WebAdapter(StartStop):
    """Serves the permalink site; start()/stop() like the chat adapters, or `async with`."""

    platform = "web"

    def __init__(self, config: Config, core: Core) -> None:
        self.config = config
        self.site = Site(config, core)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    @property
    def url(self) -> str:
        """Where the site answers (the bound port, when the configured one is 0)."""
        return f"http://{self.config.web.listen}:{self.port or self.config.web.port}"

    async def start(self) -> None:
        """Bind the listening socket and serve; returns once it accepts connections."""
        runner = web.AppRunner(
            self.site.app(),
            access_log=None,
            handle_signals=False,
            max_line_size=MAX_LINE,  # a 10 KB search query is a query, not an attack
        )
        await runner.setup()
        site = web.TCPSite(runner, self.config.web.listen, self.config.web.port)
        await site.start()
        self._runner = runner
        bound = runner.addresses  # (host, port, …) per listening socket
        self.port = int(bound[0][1]) if bound else self.config.web.port
        if not self.config.web.base_url:
            self.site.base = self.url
        event(log, "web_started", url=self.url)

    async def stop(self) -> None:
        """Stop accepting, let in-flight requests finish, close the sockets."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            event(log, "web_stopped")


def create(config: Config, core: Core) -> WebAdapter:
    """The adapter `prism-bot run` starts when `[web] enabled`, and `prism-bot web` alone."""
    return WebAdapter(config, core)
