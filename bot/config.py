"""Typed settings from TOML and the environment; fails loudly and names the key.

Every key has a default here (the embedded defaults that `prism-bot run` works on),
may be set in the TOML file, and may be overridden by `PRISM_<SECTION>_<KEY>`.
The usual secret variables (`ANTHROPIC_API_KEY`, `TELEGRAM_BOT_TOKEN`,
`DISCORD_BOT_TOKEN`) fill their keys when the file leaves them empty.
"""

from __future__ import annotations

import difflib
import ipaddress
import json
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.errors import ConfigError

DEFAULT_CATEGORIES = (
    "World",
    "Politics",
    "Economy",
    "Business",
    "Technology",
    "Science",
    "Health",
    "Climate",
    "Culture",
    "Sports",
)


@dataclass(frozen=True)
class StorageConfig:
    """The `[storage]` table."""

    path: str = "data/prism.db"
    url: str = ""  # empty: SQLite at `path`; postgresql://user@host/db: PostgreSQL

    def validate(self) -> None:
        """Raise ConfigError naming the key of the first bad value."""
        if self.url:
            _database_url("storage", "url", self.url)


@dataclass(frozen=True)
class LogConfig:
    """The `[log]` table."""

    level: str = "INFO"
    format: str = "logfmt"  # "logfmt" | "json"

    def validate(self) -> None:
        """Raise ConfigError naming the key of the first bad value."""
        _one_of("log", "level", self.level, ("DEBUG", "INFO", "WARNING", "ERROR"))
        _one_of("log", "format", self.format, ("logfmt", "json"))


@dataclass(frozen=True)
class ChatConfig:
    """The `[chat]` table."""

    max_links: int = 3  # links analysed from one message; the rest are named, not lost

    def validate(self) -> None:
        """Raise ConfigError naming the key of the first bad value."""
        _at_least("chat", "max_links", self.max_links, 1)


@dataclass(frozen=True)
class FetchConfig:
    """The `[fetch]` table."""

    timeout_s: float = 15.0
    max_bytes: int = 5_000_000
    user_agent: str = "prism-bot/0.1 (news analysis bot; +https://github.com/prism-bot)"
    allow_networks: tuple[str, ...] = ()
    max_redirects: int = 5
    max_concurrency: int = 16
    per_host_concurrency: int = 2
    negative_cache_s: float = 300.0

    def validate(self) -> None:
        """Raise ConfigError naming the key of the first bad value."""
        _positive("fetch", "timeout_s", self.timeout_s)
        _at_least("fetch", "max_bytes", self.max_bytes, 1024)
        _at_least("fetch", "max_redirects", self.max_redirects, 0)
        _at_least("fetch", "max_concurrency", self.max_concurrency, 1)
        _at_least("fetch", "per_host_concurrency", self.per_host_concurrency, 1)
        _at_least("fetch", "negative_cache_s", self.negative_cache_s, 0)
        for net in self.allow_networks:
            try:
                ipaddress.ip_network(net, strict=False)
            except ValueError as exc:
                msg = f"[fetch] allow_networks: {net!r} is not a CIDR ({exc})"
                raise ConfigError(msg) from None


@dataclass(frozen=True)
class ExtractConfig:
    """The `[extract]` table."""

    min_words: int = 40  # a brief with article markup; plain pages need 150 (extract.py)
    workers: int = 2  # threads for HTML extraction, off the event loop

    def validate(self) -> None:
        """Raise ConfigError naming the key of the first bad value."""
        _at_least("extract", "min_words", self.min_words, 1)
        _at_least("extract", "workers", self.workers, 1)


@dataclass(frozen=True)
class AnalyzerConfig:
    """The `[analyzer]` table."""

    backend: str = "auto"  # "auto" | "claude" | "offline"
    language: str = "auto"  # "auto" = the article's language, or a code such as "en"
    fallback: str = "offline"  # "offline" | "none": what answers when Claude fails
    max_concurrency: int = 4

    def validate(self) -> None:
        """Raise ConfigError naming the key of the first bad value."""
        _one_of("analyzer", "backend", self.backend, ("auto", "claude", "offline"))
        _one_of("analyzer", "fallback", self.fallback, ("offline", "none"))
        _at_least("analyzer", "max_concurrency", self.max_concurrency, 1)
        if self.language != "auto" and not re.fullmatch(
            r"[a-z]{2,3}(-[A-Za-z]{2,4})?", self.language
        ):
            raise ConfigError(
                f"[analyzer] language: {self.language!r} is not 'auto' or a language code"
            )


@dataclass(frozen=True)
class AnthropicConfig:
    """The `[anthropic]` table."""

    api_key: str = ""
    model: str = "claude-sonnet-4-6"
    # second-language variants of stored analyses; "" = `model`
    translation_model: str = "claude-haiku-4-5"
    base_url: str = ""
    timeout_s: float = 60.0
    max_retries: int = 2
    max_input_tokens: int = 6000
    max_output_tokens: int = 2048
    batch_poll_s: float = 10.0
    batch: bool = False  # feed items through the Message Batches API (half price)
    # USD per million tokens of `model`, for `stats`; the defaults are Sonnet-class list
    # prices. Other models (translation_model) are priced from bot/analyzers/pricing.py.
    price_input: float = 3.0
    price_output: float = 15.0
    price_cache_write: float = 3.75
    price_cache_read: float = 0.30

    def validate(self) -> None:
        """Raise ConfigError naming the key of the first bad value."""
        _positive("anthropic", "timeout_s", self.timeout_s)
        _at_least("anthropic", "max_retries", self.max_retries, 0)
        _at_least("anthropic", "max_input_tokens", self.max_input_tokens, 500)
        _at_least("anthropic", "max_output_tokens", self.max_output_tokens, 256)
        _positive("anthropic", "batch_poll_s", self.batch_poll_s)
        _url_or_empty("anthropic", "base_url", self.base_url)
        if self.translation_model and not re.fullmatch(
            r"[A-Za-z0-9][A-Za-z0-9._:@-]*", self.translation_model
        ):
            raise ConfigError(
                f"[anthropic] translation_model: {self.translation_model!r} is not a model"
                " name (or empty for `model`)"
            )
        for key in ("price_input", "price_output", "price_cache_write", "price_cache_read"):
            _at_least("anthropic", key, getattr(self, key), 0)

    @property
    def translator(self) -> str:
        """The model that writes second-language variants (`model` when unset)."""
        return self.translation_model or self.model


@dataclass(frozen=True)
class TelegramConfig:
    """The `[telegram]` table."""

    token: str = ""
    base_url: str = ""  # python-telegram-bot's form: http://host:port/bot (no token)
    base_file_url: str = ""
    webhook_url: str = ""  # set to receive updates by webhook instead of long polling
    listen: str = "127.0.0.1"
    port: int = 8443
    secret_token: str = ""
    poll_timeout_s: float = 30.0
    max_retries: int = 3  # AIORateLimiter retries on RetryAfter

    def validate(self) -> None:
        """Raise ConfigError naming the key of the first bad value."""
        _url_or_empty("telegram", "base_url", self.base_url)
        _url_or_empty("telegram", "base_file_url", self.base_file_url)
        _url_or_empty("telegram", "webhook_url", self.webhook_url)
        _at_least("telegram", "port", self.port, 0)
        _at_least("telegram", "poll_timeout_s", self.poll_timeout_s, 0)
        if self.webhook_url and not self.secret_token:
            raise ConfigError("[telegram] secret_token: required when webhook_url is set")


@dataclass(frozen=True)
class DiscordConfig:
    """The `[discord]` table."""

    token: str = ""
    api_base_url: str = ""  # e.g. http://127.0.0.1:8765/api/v10; becomes Route.BASE
    gateway_url: str = ""  # e.g. ws://127.0.0.1:8765/gateway
    dev_guild_ids: tuple[int, ...] = ()  # sync commands to these guilds instead of globally
    read_messages: bool = False  # privileged message-content intent: analyse mentions
    shard_count: int = 0  # 0: no sharding; else the bot's total number of shards
    shard_ids: tuple[int, ...] = ()  # the shards this process runs (empty: all of them)

    def validate(self) -> None:
        """Raise ConfigError naming the key of the first bad value."""
        _url_or_empty("discord", "api_base_url", self.api_base_url)
        _url_or_empty("discord", "gateway_url", self.gateway_url, schemes=("ws", "wss"))
        _at_least("discord", "shard_count", self.shard_count, 0)
        if self.shard_ids and not self.shard_count:
            raise ConfigError("[discord] shard_ids: needs shard_count (the total number of shards)")
        for shard in self.shard_ids:
            if not 0 <= shard < self.shard_count:
                raise ConfigError(
                    f"[discord] shard_ids: {shard} is not a shard of 0..{self.shard_count - 1}"
                )
        if len(set(self.shard_ids)) != len(self.shard_ids):
            raise ConfigError("[discord] shard_ids: a shard is named twice")


@dataclass(frozen=True)
class DigestConfig:
    """The `[digest]` table."""

    time: str = "08:00"
    timezone: str = "UTC"
    max_items: int = 10  # per category; a story counts once
    send_empty: bool = False
    catch_up_hours: float = 6.0
    tick_s: float = 30.0  # how often the scheduler looks for due digests
    max_attempts: int = 5
    retry_backoff_s: float = 30.0
    telegram_rate: float = 30.0  # messages per second, all chats together
    telegram_chat_per_minute: float = 20.0  # messages per minute to one group
    discord_rate: float = 50.0  # requests per second, all channels together
    discord_channel_per_second: float = 1.0  # Discord: about 5 messages per 5 s per channel
    console_rate: float = 100.0
    lease_s: float = 60.0  # a claimed digest's lease: a dead process's claim frees after it

    def validate(self) -> None:
        """Raise ConfigError naming the key of the first bad value."""
        check_time("digest", "time", self.time)
        check_timezone("digest", "timezone", self.timezone)
        _at_least("digest", "max_items", self.max_items, 1)
        _at_least("digest", "catch_up_hours", self.catch_up_hours, 0)
        _positive("digest", "tick_s", self.tick_s)
        _at_least("digest", "max_attempts", self.max_attempts, 1)
        _at_least("digest", "retry_backoff_s", self.retry_backoff_s, 0)
        for key in (
            "telegram_rate",
            "telegram_chat_per_minute",
            "discord_rate",
            "discord_channel_per_second",
            "console_rate",
            "lease_s",
        ):
            _positive("digest", key, getattr(self, key))


@dataclass(frozen=True)
class CategoriesConfig:
    """The `[categories]` table."""

    names: tuple[str, ...] = DEFAULT_CATEGORIES

    def validate(self) -> None:
        """Raise ConfigError naming the key of the first bad value."""
        if not self.names:
            raise ConfigError("[categories] names: the list must not be empty")
        lowered = [n.casefold() for n in self.names]
        if len(set(lowered)) != len(lowered):
            raise ConfigError("[categories] names: duplicate category")
        for name in self.names:
            if not name.strip() or len(name) > 40:
                raise ConfigError(f"[categories] names: {name!r} is not a usable name")


@dataclass(frozen=True)
class LimitsConfig:
    """The `[limits]` table."""

    user_per_hour: int = 20  # new analyses one chat user may cause per hour (not the CLI)
    global_per_day: int = 500  # new analyses in total per day (UTC)

    def validate(self) -> None:
        """Raise ConfigError naming the key of the first bad value."""
        _at_least("limits", "user_per_hour", self.user_per_hour, 0)
        _at_least("limits", "global_per_day", self.global_per_day, 0)


@dataclass(frozen=True)
class RelatedConfig:
    """The `[related]` table."""

    limit: int = 5
    recency_half_life_days: float = 30.0
    embeddings: bool = False  # needs the [embeddings] extra

    def validate(self) -> None:
        """Raise ConfigError naming the key of the first bad value."""
        _at_least("related", "limit", self.limit, 1)
        _positive("related", "recency_half_life_days", self.recency_half_life_days)


@dataclass(frozen=True)
class WebConfig:
    """The `[web]` table."""

    enabled: bool = False  # `prism-bot run` serves the site too
    listen: str = "127.0.0.1"
    port: int = 8080
    base_url: str = ""  # public root used in links from messages; empty = http://listen:port
    secret: str = ""  # signs the Thoughts form's CSRF token; empty = random at each start
    posts_per_minute: int = 10  # reactions one client may post per minute

    def validate(self) -> None:
        """Raise ConfigError naming the key of the first bad value."""
        _url_or_empty("web", "base_url", self.base_url)
        _at_least("web", "port", self.port, 0)
        if self.port > 65535:
            raise ConfigError(f"[web] port: must be at most 65535, got {self.port}")
        if not self.listen.strip():
            raise ConfigError("[web] listen: must name an address, e.g. 127.0.0.1")
        _at_least("web", "posts_per_minute", self.posts_per_minute, 1)

    def public_url(self) -> str:
        """The root that message links point at, without a trailing slash."""
        return (self.base_url or f"http://{self.listen}:{self.port}").rstrip("/")


@dataclass(frozen=True)
class ThoughtsConfig:
    """The `[thoughts]` table."""

    review_after: int = 3  # `inaccurate` reactions that list an analysis in `review`
    buttons: bool = True  # Useful / Inaccurate buttons under analyses in chats

    def validate(self) -> None:
        """Raise ConfigError naming the key of the first bad value."""
        _at_least("thoughts", "review_after", self.review_after, 1)


@dataclass(frozen=True)
class PollingConfig:
    """The `[polling]` table: how feeds are polled and how much they may cost."""

    every_min: int = 15  # default minutes between polls of one feed
    per_day: int = 200  # new analyses from feeds per UTC day, inside [limits] global_per_day
    first_poll_items: int = 5  # a new feed's first poll takes only its newest N items
    max_items_per_poll: int = 20
    disable_after_days: float = 7.0  # a feed failing this long is disabled and reported

    def validate(self) -> None:
        """Raise ConfigError naming the key of the first bad value."""
        _at_least("polling", "every_min", self.every_min, 1)
        _at_least("polling", "per_day", self.per_day, 0)
        _at_least("polling", "first_poll_items", self.first_poll_items, 0)
        _at_least("polling", "max_items_per_poll", self.max_items_per_poll, 1)
        _positive("polling", "disable_after_days", self.disable_after_days)


@dataclass(frozen=True)
class FeedConfig:
    """One `[[feeds]]` entry: a news feed polled on a schedule."""

    url: str
    category: str = ""
    language: str = ""  # empty = the article's own language
    every_min: int = 0  # 0 = [polling] every_min
    name: str = ""

    def validate(self) -> None:
        """Raise ConfigError naming the key of the first bad value."""
        _at_least("feeds", "every_min", self.every_min, 0)
        if self.language and not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z]{2,4})?", self.language):
            raise ConfigError(f"[feeds] language: {self.language!r} is not a language code")


@dataclass(frozen=True)
class Config:
    """Every setting by TOML table: built-in defaults, then the file, then PRISM_* variables."""

    storage: StorageConfig = field(default_factory=StorageConfig)
    log: LogConfig = field(default_factory=LogConfig)
    chat: ChatConfig = field(default_factory=ChatConfig)
    fetch: FetchConfig = field(default_factory=FetchConfig)
    extract: ExtractConfig = field(default_factory=ExtractConfig)
    analyzer: AnalyzerConfig = field(default_factory=AnalyzerConfig)
    anthropic: AnthropicConfig = field(default_factory=AnthropicConfig)
    telegram: TelegramConfig = field(default_factory=TelegramConfig)
    discord: DiscordConfig = field(default_factory=DiscordConfig)
    digest: DigestConfig = field(default_factory=DigestConfig)
    categories: CategoriesConfig = field(default_factory=CategoriesConfig)
    limits: LimitsConfig = field(default_factory=LimitsConfig)
    related: RelatedConfig = field(default_factory=RelatedConfig)
    web: WebConfig = field(default_factory=WebConfig)
    thoughts: ThoughtsConfig = field(default_factory=ThoughtsConfig)
    polling: PollingConfig = field(default_factory=PollingConfig)
    feeds: tuple[FeedConfig, ...] = ()
    source: str = "built-in defaults"  # where the settings came from, for `doctor`

    def category(self, name: str) -> str | None:
        """The configured spelling of a category, matched case-insensitively."""
        folded = name.strip().casefold()
        return next((c for c in self.categories.names if c.casefold() == folded), None)

    def with_overrides(self, **sections: Mapping[str, Any]) -> Config:
        """A copy with some keys changed and validated again (tests, benchmarks)."""
        raw = {name: dict(values) for name, values in sections.items()}
        changed = {}
        for name, values in raw.items():
            current = getattr(self, name)
            section = _build_section(name, type(current), {**_as_dict(current), **values})
            changed[name] = section
        return replace(self, **changed)


SECRET_ENV = {
    ("anthropic", "api_key"): "ANTHROPIC_API_KEY",
    ("telegram", "token"): "TELEGRAM_BOT_TOKEN",
    ("discord", "token"): "DISCORD_BOT_TOKEN",
}
SECRET_KEYS = frozenset(SECRET_ENV) | {("telegram", "secret_token"), ("web", "secret")}


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Settings from `path` (default ./config.toml if present), then the environment."""
    env = os.environ if env is None else env
    data: dict[str, Any] = {}
    source = "built-in defaults"
    file = Path(path) if path is not None else Path("config.toml")
    if path is not None or file.exists():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {file}") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{file}: invalid TOML: {exc}") from None
        source = str(file)
    return build_config(data, env, source)


def build_config(data: Mapping[str, Any], env: Mapping[str, str], source: str) -> Config:
    """Validate raw TOML data plus environment overrides into a Config."""
    sections = {f.name: f for f in fields(Config) if f.name not in ("feeds", "source")}
    unknown = set(data) - set(sections) - {"feeds"}
    if unknown:
        raise ConfigError(f"unknown section [{sorted(unknown)[0]}] (known: {', '.join(sections)})")
    built: dict[str, Any] = {}
    for name, f in sections.items():
        raw = data.get(name, {})
        if not isinstance(raw, dict):
            raise ConfigError(f"[{name}]: must be a table")
        cls = _section_type(f)
        merged = {**raw, **_env_overrides(name, cls, env)}
        for (sec, key), var in SECRET_ENV.items():
            if sec == name and not merged.get(key) and env.get(var):
                merged[key] = env[var]
        built[name] = _build_section(name, cls, merged)
    built["feeds"] = _build_feeds(data.get("feeds", []), built["categories"])
    return Config(**built, source=source)


def known_env_names() -> list[str]:
    """Every `PRISM_<SECTION>_<KEY>` variable a setting answers to."""
    sections = [f for f in fields(Config) if f.name not in ("feeds", "source")]
    return [
        f"PRISM_{section.name.upper()}_{key.name.upper()}"
        for section in sections
        for key in fields(_section_type(section))
    ]


def env_warnings(env: Mapping[str, str]) -> list[str]:
    """A `PRISM_*` variable that is no setting would be ignored without a word: name it,
    with the closest real one when the typo is obvious."""
    known = known_env_names()
    warnings = []
    for name in sorted(n for n in env if n.startswith("PRISM_") and n not in known):
        close = difflib.get_close_matches(name, known, n=1, cutoff=0.8)
        hint = f" (did you mean {close[0]}?)" if close else ""
        warnings.append(f"{name} is not a setting and is ignored{hint}")
    return warnings


def _section_type(f: Any) -> type:
    factory = f.default_factory
    assert isinstance(factory, type)
    return factory


def _env_overrides(section: str, cls: type, env: Mapping[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    hints = typing.get_type_hints(cls)
    for f in fields(cls):
        var = f"PRISM_{section.upper()}_{f.name.upper()}"
        if var in env:
            out[f.name] = _parse_env(var, env[var], hints[f.name])
    return out


def _parse_env(var: str, text: str, hint: Any) -> Any:
    """Environment values are strings; lists may be JSON or comma-separated."""
    if typing.get_origin(hint) is tuple:
        text = text.strip()
        if text.startswith("["):
            try:
                return json.loads(text)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{var}: invalid JSON list ({exc})") from None
        return [part.strip() for part in text.split(",") if part.strip()]
    if hint is bool:
        lowered = text.strip().lower()
        if lowered in ("1", "true", "yes", "on"):
            return True
        if lowered in ("0", "false", "no", "off", ""):
            return False
        raise ConfigError(f"{var}: expected true or false, got {text!r}")
    return text


def _build_section(name: str, cls: type, raw: Mapping[str, Any]) -> Any:
    hints = typing.get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    unknown = set(raw) - known
    if unknown:
        key = sorted(unknown)[0]
        raise ConfigError(f"[{name}] {key}: unknown key (known: {', '.join(sorted(known))})")
    values = {key: _coerce(f"[{name}] {key}", value, hints[key]) for key, value in raw.items()}
    section = cls(**values)
    validate = getattr(section, "validate", None)
    if validate is not None:
        validate()
    return section


def _coerce(where: str, value: Any, hint: Any) -> Any:
    """Cast one value to its declared type or raise an error naming the key."""
    origin = typing.get_origin(hint)
    if origin is tuple:
        (item_type, _) = typing.get_args(hint)
        if not isinstance(value, list | tuple):
            raise ConfigError(f"{where}: expected a list, got {type(value).__name__}")
        return tuple(_coerce(where, v, item_type) for v in value)
    if origin in (types.UnionType, typing.Union):
        raise ConfigError(f"{where}: unsupported type")  # no optional keys: defaults instead
    if hint is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{where}: expected true or false, got {value!r}")
    if hint is int:
        if isinstance(value, bool):
            raise ConfigError(f"{where}: expected an integer, got {value!r}")
        if isinstance(value, int):
            return value
        if isinstance(value, str) and re.fullmatch(r"[+-]?\d[\d_]*", value.strip()):
            return int(value.strip())
        raise ConfigError(f"{where}: expected an integer, got {value!r}")
    if hint is float:
        if isinstance(value, bool):
            raise ConfigError(f"{where}: expected a number, got {value!r}")
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value.strip())
            except ValueError:
                pass
        raise ConfigError(f"{where}: expected a number, got {value!r}")
    if hint is str:
        if isinstance(value, str):
            return value
        raise ConfigError(f"{where}: expected a string, got {value!r}")
    raise ConfigError(f"{where}: unsupported type {hint!r}")


def _build_feeds(raw: Any, categories: CategoriesConfig) -> tuple[FeedConfig, ...]:
    if not isinstance(raw, list):
        raise ConfigError("[[feeds]]: must be an array of tables")
    feeds = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ConfigError(f"[[feeds]] #{i + 1}: must be a table")
        if "url" not in item:
            raise ConfigError(f"[[feeds]] #{i + 1} url: required")
        feed = _build_section(f"feeds #{i + 1}", FeedConfig, item)
        _url_or_empty(f"feeds #{i + 1}", "url", feed.url)
        if not feed.url:
            raise ConfigError(f"[[feeds]] #{i + 1} url: must not be empty")
        if feed.category and feed.category.casefold() not in {
            n.casefold() for n in categories.names
        }:
            raise ConfigError(f"[[feeds]] #{i + 1} category: unknown category {feed.category!r}")
        feeds.append(feed)
    return tuple(feeds)


def _as_dict(section: Any) -> dict[str, Any]:
    return {f.name: getattr(section, f.name) for f in fields(section)}


# --- validators, shared with the commands that take times and zones ---------------------


def check_time(section: str, key: str, value: str) -> None:
    """A local time of day as HH:MM, or a ConfigError naming the key."""
    if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ConfigError(f"[{section}] {key}: {value!r} is not a time HH:MM (00:00-23:59)")


def check_timezone(section: str, key: str, value: str) -> None:
    """An IANA time zone name, or a ConfigError naming the key."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"[{section}] {key}: {value!r} is not an IANA time zone") from None


def _database_url(section: str, key: str, value: str) -> None:
    # The message never repeats the URL: it may hold a password.
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError as exc:
        raise ConfigError(f"[{section}] {key}: not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("postgresql", "postgres"):
        shown = f"scheme {parts.scheme!r}" if parts.scheme else "no scheme"
        raise ConfigError(
            f"[{section}] {key}: expected postgresql://user@host/db (or empty for SQLite"
            f" at [{section}] path), got {shown}"
        )
    if parts.path.strip("/") == "":
        raise ConfigError(f"[{section}] {key}: names no database (postgresql://user@host/DB)")


def _one_of(section: str, key: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"[{section}] {key}: {value!r} is not one of {', '.join(allowed)}")


def _positive(section: str, key: str, value: float) -> None:
    if not value > 0:
        raise ConfigError(f"[{section}] {key}: must be greater than 0, got {value}")


def _at_least(section: str, key: str, value: float, minimum: float) -> None:
    if value < minimum:
        raise ConfigError(f"[{section}] {key}: must be at least {minimum}, got {value}")


def _url_or_empty(
    section: str, key: str, value: str, schemes: tuple[str, ...] = ("http", "https")
) -> None:
    if value and not re.match(rf"({'|'.join(schemes)})://[^/\s]+", value):
        raise ConfigError(f"[{section}] {key}: {value!r} is not a {'/'.join(schemes)} URL")
