"""`prism-bot store copy --to URL`: every table of the SQLite store into an empty
PostgreSQL database, ids kept, in one transaction.

Columns are matched by name between the two schemas, so a table or column that only one
side has (a newer migration on one branch) is left out rather than breaking the copy;
each value is converted to the PostgreSQL column's type. Identity sequences are moved
past the copied ids, so the next analysis gets the next number.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from psycopg import sql
from psycopg.types.json import Jsonb

from bot.errors import StoreNotEmpty
from bot.models import Section, sections_text
from bot.store import Store
from bot.store.postgres.analyses import SEARCH_DOCUMENT
from bot.store.postgres.db import Conn
from bot.store.postgres.store import PgStore

# Parents before children; tables that exist on only one side are skipped.
TABLES = (
    "articles",
    "article_urls",
    "analyses",
    "analysis_embeddings",
    "thoughts",
    "channel_settings",
    "subscriptions",
    "deliveries",
    "usage",
    "feeds",
    "stories",
    "story_members",
    "feed_items",
)
BATCH = 1000


@dataclass
class CopyReport:
    """Rows copied per table, in copy order."""

    rows: dict[str, int] = field(default_factory=dict)


async def copy_store(source: Store, target: PgStore) -> CopyReport:
    """Copy every shared table of `source` into `target`, which must hold no rows."""
    report = CopyReport()
    async with target.db.transaction() as conn:
        targets = await _target_columns(conn)
        await _refuse_unless_empty(conn, [t for t in TABLES if t in targets])
        for table in TABLES:
            if table not in targets:
                continue
            columns = await _source_columns(source, table, targets[table])
            if columns:
                report.rows[table] = await _copy_table(source, conn, table, columns, targets)
        for table in report.rows:
            if "id" in targets[table]:
                await _reset_identity(conn, table)
    return report


async def _target_columns(conn: Conn) -> dict[str, dict[str, str]]:
    cur = await conn.execute(
        "SELECT table_name, column_name, data_type, is_identity, identity_generation"
        " FROM information_schema.columns WHERE table_schema = current_schema()"
    )
    found: dict[str, dict[str, str]] = {}
    for row in await cur.fetchall():
        if row["identity_generation"] == "ALWAYS":
            continue  # e.g. analysis_embeddings.seq: written in order, renumbered
        found.setdefault(row["table_name"], {})[row["column_name"]] = row["data_type"]
    return found


async def _refuse_unless_empty(conn: Conn, tables: Sequence[str]) -> None:
    cur = await conn.execute("SELECT count(*) AS n FROM analyses")
    row = await cur.fetchone()
    if row and row["n"]:
        raise StoreNotEmpty(
            f"the target database already holds {row['n']} analyses; copy needs an empty one"
        )
    for table in tables:
        cur = await conn.execute(
            sql.SQL("SELECT 1 AS x FROM {} LIMIT 1").format(sql.Identifier(table))
        )
        if await cur.fetchone():
            raise StoreNotEmpty(f"the target database already holds rows in {table}")


async def _source_columns(source: Store, table: str, target: dict[str, str]) -> list[str]:
    rows = await source.db.fetchall("SELECT name FROM pragma_table_info(?)", (table,))
    return [str(r[0]) for r in rows if str(r[0]) in target]


async def _copy_table(
    source: Store,
    conn: Conn,
    table: str,
    columns: list[str],
    targets: dict[str, dict[str, str]],
) -> int:
    types = targets[table]
    search = table == "analyses" and "search" in types
    insert = _insert(table, columns, search)
    order = "seq" if table == "analysis_embeddings" else "1"  # the key (some lack rowid)
    quoted = ", ".join(f'"{c}"' for c in columns)
    select = f"SELECT {quoted} FROM {table} ORDER BY {order}"  # names from both schemas
    rows = await source.db.fetchall(select)
    async with conn.cursor() as cur:
        for start in range(0, len(rows), BATCH):
            chunk = rows[start : start + BATCH]
            values = [_values(row, columns, types, search) for row in chunk]
            await cur.executemany(insert, values)
    return len(rows)


def _insert(table: str, columns: list[str], search: bool) -> sql.Composed:
    names = [sql.Identifier(c) for c in columns]
    values: list[sql.Composable] = [sql.Placeholder(c) for c in columns]
    if search:
        names.append(sql.Identifier("search"))
        values.append(sql.SQL(SEARCH_DOCUMENT))
    return sql.SQL("INSERT INTO {} ({}) VALUES ({})").format(
        sql.Identifier(table), sql.SQL(", ").join(names), sql.SQL(", ").join(values)
    )


def _values(row: Any, columns: list[str], types: dict[str, str], search: bool) -> dict[str, Any]:
    values = {c: _convert(row[i], types[c]) for i, c in enumerate(columns)}
    if search:
        sections = json.loads(row[columns.index("sections")])
        body = sections_text(tuple(Section(s["heading"], tuple(s["paragraphs"])) for s in sections))
        values["tag_text"] = " ".join(json.loads(row[columns.index("tags")]))
        values["body"] = body
    return values


def _convert(value: Any, data_type: str) -> Any:
    if value is None:
        return None
    if data_type == "timestamp with time zone" and isinstance(value, str):
        return datetime.fromisoformat(value)
    if data_type == "boolean":
        return bool(value)
    if data_type in ("jsonb", "json") and isinstance(value, str):
        return Jsonb(json.loads(value))
    return value


async def _reset_identity(conn: Conn, table: str) -> None:
    cur = await conn.execute("SELECT pg_get_serial_sequence(%s, 'id') AS s", (table,))
    row = await cur.fetchone()
    if row is None or row["s"] is None:
        return
    await conn.execute(
        sql.SQL("SELECT setval(%s, coalesce((SELECT max(id) FROM {}), 0) + 1, false)").format(
            sql.Identifier(table)
        ),
        (row["s"],),
    )
