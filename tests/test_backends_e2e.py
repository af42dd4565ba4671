"""The bot end to end on both backends: a link becomes an analysis, related over the
seeds, a digest preview and delivery, single flight across two processes' stores,
and the operator's `doctor` and `stats --json`."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import Config
from bot.core import Core
from bot.models import ChannelRef, Request
from bot.store import utcnow
from tests.support.digests import RecordingSender
from tests.support.process import spawn_bot
from tests.support.site import Site

CHAT = ChannelRef("discord", "100")


def request(command: str, text: str = "", user: str = "u1") -> Request:
    return Request(command, text, CHAT, user, is_admin=True)


async def test_a_link_becomes_an_analysis_and_is_then_answered_from_the_store(
    any_core: Core, article_site: Site
) -> None:
    url = article_site.url("/slow/council?ms=1")
    [first] = await any_core.handle(request("analyze", url))
    [again] = await any_core.handle(request("analyze", url + "&utm_source=x", user="u2"))
    assert first.kind == "analysis", first.plain_text()
    assert again.analysis_id == first.analysis_id
    assert article_site.hits["/slow/council"] == 1
    totals = await any_core.stats()
    assert (totals.analyses, totals.generations, totals.requests) == (1, 1, 2)


async def test_related_over_the_seeds(any_core: Core) -> None:
    report = await any_core.import_seeds()
    assert report.added >= 12
    source = (await any_core.recent(limit=1))[0]
    hits = await any_core.related_to(source)
    assert hits and all(h.analysis.id != source.id for h in hits)
    assert all(h.reason for h in hits)


async def test_a_digest_preview_then_its_delivery_once(any_core: Core, article_site: Site) -> None:
    [analysis] = await any_core.handle(request("analyze", article_site.url("/slow/d?ms=1")))
    stored = await any_core.analysis(str(analysis.analysis_id))
    due = utcnow() + timedelta(hours=1)
    await any_core.handle(request("subscribe", f"{stored.category} {due:%H:%M} UTC"))
    preview = await any_core.digest_preview(category=stored.category)
    assert preview is not None and stored.headline in preview.plain_text()
    sender = RecordingSender()
    for _ in range(2):
        await any_core.digests.send_due({"discord": sender}, now=due + timedelta(minutes=5))
    assert [channel for channel, _ in sender.received] == ["discord:100"]
    assert stored.headline in sender.received[0][1].plain_text()
    assert (await any_core.stats()).deliveries_sent == 1


async def test_two_processes_on_one_store_fetch_a_new_link_once(
    backend_config: Config, article_site: Site
) -> None:
    url = article_site.url("/slow/shared?ms=300")
    first, second = await Core.open(backend_config), await Core.open(backend_config)
    try:
        answers = await asyncio.gather(
            first.handle(request("analyze", url)), second.handle(request("analyze", url))
        )
    finally:
        await first.aclose()
        await second.aclose()
    assert article_site.hits["/slow/shared"] == 1
    assert answers[0][0].analysis_id == answers[1][0].analysis_id is not None


@pytest.fixture
def config_file(backend_config: Config, tmp_path: Path) -> Path:
    path = tmp_path / "prism.toml"
    storage = f'url = "{backend_config.storage.url}"' if backend_config.storage.url else ""
    path.write_text(f'[storage]\npath = "{backend_config.storage.path}"\n{storage}\n')
    return path


async def _cli(*args: str) -> tuple[int, str, str]:
    proc = await spawn_bot(*args)
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()


async def test_stats_json_has_integer_counts(config_file: Path) -> None:
    code, _, err = await _cli("seeds", "import", "--config", str(config_file))
    assert code == 0, err
    code, out, err = await _cli("stats", "--json", "--config", str(config_file))
    assert code == 0, err
    stats = json.loads(out)
    assert stats["analyses"] >= 12
    assert all(type(stats[k]) is int for k in ("analyses", "requests", "deliveries_sent"))


async def test_doctor_names_the_store_its_schema_and_count(
    backend_config: Config, config_file: Path
) -> None:
    _, out, _ = await _cli("doctor", "--config", str(config_file))
    [line] = [x for x in out.splitlines() if " storage " in x]
    expected = "PostgreSQL 127.0.0.1:5432/test" if backend_config.storage.url else "sqlite"
    assert line.startswith("ok") and expected in line, out
    assert "schema " in line and "0 analyses" in line


async def test_doctor_fails_in_one_line_without_a_server_and_hides_the_password(
    tmp_path: Path,
) -> None:
    path = tmp_path / "prism.toml"
    path.write_text('[storage]\nurl = "postgresql://bot:hunter2@127.0.0.1:1/prism"\n')
    code, out, err = await _cli("doctor", "--config", str(path))
    assert code != 0
    [line] = [x for x in out.splitlines() if x.startswith("FAIL")]
    assert "storage" in line and "PostgreSQL 127.0.0.1:1/prism" in line
    assert "hunter2" not in out + err
