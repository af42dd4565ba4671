"""Peak RSS of `prism-bot run`, idle, with 10,000 analyses stored.

Target: at most 150 MB. Starts the real command in a subprocess (no terminal, no
platform token: the scheduler runs, nothing else), waits until it reports running,
lets it idle, then reads VmHWM (peak resident set) from /proc and stops it.
Run: .venv/bin/python bench/bench_rss.py [--analyses N] [--idle S]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import fill
from bot.store import Store


async def main(analyses: int, idle: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        db = f"{tmp}/rss.db"
        store = await Store.open(db)
        await fill(store, analyses)
        await store.close()
        config = Path(tmp) / "config.toml"
        config.write_text(f'[storage]\npath = "{db}"\n')
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--config",
            str(config),
            stdin=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        assert proc.stderr is not None
        while b"event=running" not in await proc.stderr.readline():
            pass
        await asyncio.sleep(idle)
        status = await asyncio.to_thread(Path(f"/proc/{proc.pid}/status").read_text)
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        proc.terminate()
        await proc.wait()
    peak = int(fields["VmHWM"].split()[0]) / 1024
    now = int(fields["VmRSS"].split()[0]) / 1024
    print(f"analyses stored   {analyses}")
    print(f"RSS now / peak    {now:.1f} MB / {peak:.1f} MB   (target <= 150 MB)")
    print(f"target            {'met' if peak <= 150 else 'MISSED'}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--analyses", type=int, default=10_000)
    parser.add_argument("--idle", type=float, default=5.0)
    args = parser.parse_args()
    asyncio.run(main(args.analyses, args.idle))
