"""`prism-bot doctor`: what is configured and whether it can work, without the network."""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path

from bot.config import SECRET_KEYS, Config
from bot.errors import ConfigError

Check = tuple[str, bool, str]


async def run_checks(config: Config) -> list[Check]:
    """Every offline check as (name, ok, detail), in the order `doctor` prints them."""
    checks: list[Check] = [("config", True, config.source)]
    checks.append(await _storage(config))
    checks.extend(await _feeds(config))
    checks.append(_analyzer(config))
    for module in ("trafilatura", "readability", "lxml_html_clean", "zoneinfo"):
        checks.append(_importable(module))
    checks.append(("fetch", True, _fetch_summary(config)))
    platforms = [
        name
        for name, token in (("telegram", config.telegram.token), ("discord", config.discord.token))
        if token
    ]
    checks.append(("platforms", True, ", ".join(platforms) or "none (console only)"))
    # a disabled platform's settings are nobody's concern: listed only when it is on
    if config.telegram.token and config.telegram.base_url:
        checks.append(("telegram base_url", True, config.telegram.base_url))
    if config.discord.token and config.discord.api_base_url:
        checks.append(("discord api_base_url", True, config.discord.api_base_url))
    checks.append(("categories", True, ", ".join(config.categories.names)))
    checks.append(("digest", True, f"{config.digest.time} {config.digest.timezone}"))
    return checks


def secret_rows(config: Config) -> list[tuple[str, str]]:
    """Each secret that matters here as (`[section] key`, "set" or "not set"): a platform's
    own secrets only when it is on, the tokens that turn platforms on always."""
    on = {
        ("telegram", "secret_token"): bool(config.telegram.token),
        ("web", "secret"): config.web.enabled,
    }
    return [
        (f"[{section}] {key}", "set" if getattr(getattr(config, section), key) else "not set")
        for section, key in sorted(SECRET_KEYS)
        if on.get((section, key), True)
    ]


async def _storage(config: Config) -> Check:
    """The store by name (never a password), its schema version and analysis count."""
    from bot.store import open_store

    try:
        store = await open_store(config)
    except Exception as exc:
        return ("storage", False, _unreachable(config, exc))
    try:
        version = await store.schema_version()
        count = await store.analyses.count()
    finally:
        await store.close()
    detail = f"{store.describe()} (schema {version}, {count} analyses"
    if config.storage.url:
        return ("storage", True, detail + ")")
    size = await asyncio.to_thread(_size, config.storage.path)
    return ("storage", True, f"{detail}, {size // 1024} KiB)")


def _unreachable(config: Config, exc: Exception) -> str:
    """One line naming the store and why it cannot be opened."""
    if config.storage.url:
        from bot.store.postgres.url import describe

        where = describe(config.storage.url)
    else:
        where = config.storage.path
    reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return reason if where in reason else f"{where}: {reason}"


async def _feeds(config: Config) -> list[Check]:
    """How many feeds, and each failing or disabled one with its reason (config feeds
    not synced yet count from the file)."""
    from bot.store import Store

    try:
        store = await Store.open(config.storage.path)
    except Exception:
        return []  # the storage check has said why
    try:
        stored = await store.feeds.all()
    finally:
        await store.close()
    urls = {f.url for f in stored} | {f.url for f in config.feeds}
    bad = [f for f in stored if f.state.status in ("failing", "disabled")]
    disabled = sum(f.state.status == "disabled" for f in bad)
    summary = f"{len(urls)} feeds, {len(bad) - disabled} failing, {disabled} disabled"
    checks: list[Check] = [("feeds", True, summary)]
    for f in bad:  # reported, not fatal: the bot works without them
        checks.append((f"feed {f.state.status}", True, f"{f.url}: {f.state.error}"))
    return checks


def _analyzer(config: Config) -> Check:
    from bot.analyzers import chosen_backend

    try:
        chosen = chosen_backend(config)
    except ConfigError as exc:
        return ("analyzer", False, exc.message)
    detail = f"{chosen} (backend = {config.analyzer.backend})"
    if chosen == "claude":
        detail += f", model {config.anthropic.model}"
        if config.anthropic.base_url:
            detail += f", base_url {config.anthropic.base_url}"
        detail += f", fallback {config.analyzer.fallback}"
    return ("analyzer", True, detail)


def _importable(module: str) -> Check:
    try:
        importlib.import_module(module)
    except Exception as exc:
        return (f"module {module}", False, str(exc))
    return (f"module {module}", True, "importable")


def _fetch_summary(config: Config) -> str:
    f = config.fetch
    allowed = ", ".join(f.allow_networks) or "none"
    return f"timeout {f.timeout_s}s, max {f.max_bytes} bytes, private networks allowed: {allowed}"


def _size(path: str) -> int:
    file = Path(path)
    return file.stat().st_size if file.exists() else 0
