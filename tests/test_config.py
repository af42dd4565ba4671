"""Configuration: defaults, the example file, overrides, and errors that name the key."""

from __future__ import annotations

import tomllib
from dataclasses import fields
from pathlib import Path

import pytest

from bot.config import Config, build_config, load_config
from bot.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent


def test_example_file_lists_every_key_with_its_default() -> None:
    example = tomllib.loads((ROOT / "config.example.toml").read_text())
    defaults = Config()
    for section in fields(Config):
        if section.name in ("feeds", "source"):
            continue
        values = getattr(defaults, section.name)
        listed = example[section.name]
        for key in fields(values):
            assert key.name in listed, f"[{section.name}] {key.name} missing from the example"
            expected = getattr(values, key.name)
            got = listed[key.name]
            assert (tuple(got) if isinstance(got, list) else got) == expected, key.name


def test_example_file_loads_as_the_defaults() -> None:
    loaded = load_config(ROOT / "config.example.toml", env={})
    assert loaded.fetch == Config().fetch
    assert loaded.digest == Config().digest


def test_no_file_means_built_in_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config(None, env={})
    assert config.source == "built-in defaults"
    assert config.storage.path == "data/prism.db"
    assert config.analyzer.backend == "auto"


def test_missing_explicit_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml", env={})


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"digest": {"tme": "08:00"}}, r"\[digest\] tme: unknown key"),
        ({"nonsense": {}}, r"unknown section \[nonsense\]"),
        ({"digest": {"time": "25:00"}}, r"\[digest\] time: '25:00' is not a time"),
        ({"digest": {"timezone": "Mars/Olympus"}}, r"\[digest\] timezone: .* IANA"),
        ({"fetch": {"timeout_s": "soon"}}, r"\[fetch\] timeout_s: expected a number"),
        ({"fetch": {"timeout_s": 0}}, r"\[fetch\] timeout_s: must be greater than 0"),
        ({"fetch": {"max_bytes": True}}, r"\[fetch\] max_bytes: expected an integer"),
        ({"fetch": {"allow_networks": ["10.0.0.300/8"]}}, r"allow_networks: .* not a CIDR"),
        ({"fetch": {"allow_networks": "127.0.0.0/8"}}, r"allow_networks: expected a list"),
        ({"analyzer": {"backend": "gpt"}}, r"\[analyzer\] backend: 'gpt' is not one of"),
        ({"anthropic": {"base_url": "ftp://x"}}, r"\[anthropic\] base_url: .* not a http"),
        ({"telegram": {"webhook_url": "https://x.example/hook"}}, r"secret_token: required"),
        ({"categories": {"names": []}}, r"\[categories\] names: .* empty"),
        ({"categories": {"names": ["A", "a"]}}, r"duplicate"),
        ({"storage": "x.db"}, r"\[storage\]: must be a table"),
        ({"feeds": [{"url": "https://x.example/rss", "category": "Cats"}]}, r"unknown category"),
    ],
)
def test_bad_values_name_the_key(data: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        build_config(data, env={}, source="test")


def test_environment_overrides_file_values() -> None:
    env = {
        "PRISM_DIGEST_TIME": "07:30",
        "PRISM_FETCH_ALLOW_NETWORKS": "127.0.0.0/8, ::1/128",
        "PRISM_DISCORD_DEV_GUILD_IDS": "[1, 2]",
        "PRISM_DISCORD_READ_MESSAGES": "yes",
        "PRISM_LIMITS_USER_PER_HOUR": "3",
    }
    config = build_config({"digest": {"time": "09:00"}}, env=env, source="test")
    assert config.digest.time == "07:30"
    assert config.fetch.allow_networks == ("127.0.0.0/8", "::1/128")
    assert config.discord.dev_guild_ids == (1, 2)
    assert config.discord.read_messages is True
    assert config.limits.user_per_hour == 3


def test_bad_environment_value_names_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"\[limits\] user_per_hour: expected an integer"):
        build_config({}, env={"PRISM_LIMITS_USER_PER_HOUR": "many"}, source="test")
    with pytest.raises(ConfigError, match="PRISM_DISCORD_READ_MESSAGES: expected true or false"):
        build_config({}, env={"PRISM_DISCORD_READ_MESSAGES": "maybe"}, source="test")


def test_secret_variables_fill_empty_keys_only() -> None:
    env = {"ANTHROPIC_API_KEY": "sk-env", "TELEGRAM_BOT_TOKEN": "123:env"}
    config = build_config({"telegram": {"token": "123:file"}}, env=env, source="test")
    assert config.anthropic.api_key == "sk-env"
    assert config.telegram.token == "123:file"


def test_category_lookup_is_case_insensitive() -> None:
    config = Config()
    assert config.category("economy") == "Economy"
    assert config.category(" ECONOMY ") == "Economy"
    assert config.category("Cats") is None


def test_with_overrides_validates() -> None:
    config = Config().with_overrides(digest={"time": "06:15"})
    assert config.digest.time == "06:15"
    with pytest.raises(ConfigError, match="not a time"):
        Config().with_overrides(digest={"time": "6am"})
