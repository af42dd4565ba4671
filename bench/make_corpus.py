"""Builds the HTML pages of tests/fixtures/corpus/ from pages.toml (run by hand).

Each story is wrapped in one of a few publisher layouts (navigation, cookie banner,
related links, newsletter box, footer), with its section named the way the entry's
`signal` says. The output is committed; tests read the files, not this script.

    .venv/bin/python -m bench.make_corpus   (from the repository root)
"""

from __future__ import annotations

import html
import json
import tomllib
import zlib
from pathlib import Path
from typing import Any

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "corpus"
SITES = ("Stavik Post", "Lorvik Ledger", "Nordic Wire", "Serral Diario", "Tarsk Tageblatt")
RELATED = (
    "Ten walks to take before winter",
    "Ferry timetable changes from Monday",
    "Letters: readers on the new tram line",
    "Weather: a cold week ahead in the north",
)

_COOKIES = (
    '<div class="cookie-banner">We use cookies to improve your experience.'
    ' <a href="/privacy">Privacy</a> <button>Accept</button></div>'
)
_NAV = (
    '<nav class="site-nav"><a href="/news">News</a> <a href="/world">World</a>'
    ' <a href="/economy">Economy</a> <a href="/sport">Sport</a>'
    ' <a href="/culture">Culture</a></nav>'
)
_FOOTER = '<a href="/about">About us</a> <a href="/contact">Contact</a>'


def url_path(page: dict[str, Any]) -> str:
    """The story's path on its site: under its section when the signal is the URL."""
    if page["signal"] == "url":
        return f"/{page['section']}/2026/11/{page['key']}.html"
    return f"/story/{zlib.crc32(page['key'].encode()) % 90000 + 10000}/{page['key']}.html"


def _host(site: str) -> str:
    return site.lower().replace(" ", "") + ".example"


def _head(page: dict[str, Any], i: int, site: str) -> str:
    e = html.escape
    parts = [
        '<meta charset="utf-8">',
        f"<title>{e(page['title'])} | {e(site)}</title>",
        '<meta name="viewport" content="width=device-width">',
        f'<meta property="og:title" content="{e(page["title"])}">',
        f'<meta property="og:site_name" content="{e(site)}">',
        f'<link rel="canonical" href="https://{_host(site)}{url_path(page)}">',
    ]
    if i % 3 != 2:
        parts.append('<meta property="og:type" content="article">')
    if page["signal"] == "meta":
        parts.append(f'<meta property="article:section" content="{e(page["section"])}">')
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle" if i % 2 == 0 else "ReportageNewsArticle",
        "headline": page["title"],
        "datePublished": f"2026-11-{i % 27 + 1:02d}T08:00:00Z",
        "publisher": {"@type": "Organization", "name": site},
    }
    if page["signal"] == "jsonld":
        data["articleSection"] = page["section"]
    if page.get("markup") == "paywall":
        data["isAccessibleForFree"] = False
        data["hasPart"] = {
            "@type": "WebPageElement",
            "isAccessibleForFree": False,
            "cssSelector": ".paywalled",
        }
    scripts = [data]
    if page["signal"] == "breadcrumb" and i % 2 == 0:
        scripts.append(
            {
                "@context": "https://schema.org",
                "@type": "BreadcrumbList",
                "itemListElement": [
                    {"@type": "ListItem", "position": 1, "name": "Home", "item": "/"},
                    {"@type": "ListItem", "position": 2, "name": page["section"], "item": "/s/"},
                ],
            }
        )
    if i % 4 != 3 or page["signal"] == "jsonld" or page.get("markup"):
        for script in scripts:
            text = json.dumps(script, ensure_ascii=False)
            parts.append(f'<script type="application/ld+json">{text}</script>')
    return "\n".join(parts)


def _breadcrumb(page: dict[str, Any], i: int) -> str:
    if page["signal"] != "breadcrumb" or i % 2 == 0:
        return ""
    section = html.escape(page["section"])
    return (
        '<nav class="breadcrumb" aria-label="Breadcrumb"><ol>'
        f'<li><a href="/">Home</a></li><li><a href="/s/">{section}</a></li></ol></nav>'
    )


def render(page: dict[str, Any], i: int) -> str:
    """The whole page: head, boilerplate, the story, more boilerplate."""
    e = html.escape
    site = SITES[i % len(SITES)]
    body = "\n".join(f"<p>{e(p)}</p>" for p in page["paragraphs"])
    if page.get("markup") == "paywall":
        body += (
            '\n<div class="paywall"><h2>Subscribe to keep reading</h2><p>Unlimited access'
            ' from 9 euros a month. Cancel anytime.</p><a href="/subscribe">Subscribe</a>'
            '</div>\n<div class="paywalled" hidden></div>'
        )
    related = "".join(f'<li><a href="/story/{n}">{e(t)}</a></li>' for n, t in enumerate(RELATED))
    wrapper = ("article", 'div class="story-body"', "article")[i % 3]
    close = wrapper.split()[0]
    return f"""<!DOCTYPE html>
<html lang="{page["language"]}">
<head>
{_head(page, i, site)}
</head>
<body>
{_COOKIES}
<header><a class="logo" href="/">{e(site)}</a>
{_NAV}</header>
<main>
{_breadcrumb(page, i)}
<{wrapper}>
<h1>{e(page["title"])}</h1>
<p class="byline">By Staff reporter · 2026-11-{i % 27 + 1:02d}</p>
{body}
</{close}>
<aside class="related"><h2>More stories</h2><ul>{related}</ul></aside>
<div class="newsletter"><h2>Get the morning briefing</h2><p>Sign up for our newsletter.</p></div>
</main>
<footer><p>&copy; 2026 {e(site)}. All rights reserved.</p>{_FOOTER}</footer>
</body>
</html>
"""


def main() -> None:
    """Write one HTML file per entry of pages.toml."""
    pages = tomllib.loads((CORPUS / "pages.toml").read_text(encoding="utf-8"))["pages"]
    for i, page in enumerate(pages):
        (CORPUS / f"{page['key']}.html").write_text(render(page, i), encoding="utf-8")
    print(f"wrote {len(pages)} pages to {CORPUS}")


if __name__ == "__main__":
    main()
