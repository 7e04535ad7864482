#!/usr/bin/env python3
"""Generates the poll benchmark's corpus (issue 18): FEEDS feeds of ITEMS items,
RSS 2.0, Atom, RSS 1.0 and JSON Feed in turn, every fifth feed in a legacy
charset (windows-1252 or ISO-8859-1), every third carrying full content, and
one article page per item, all under OUT/ for a static server.

    corpus.py OUT FEEDS ITEMS BASE_URL

Also writes OUT/sources.toml (one `[[source]]` per feed, `follow` set by
$FOLLOW=1). Deterministic: the same arguments give the same bytes.
"""

import json
import os
import sys

out, feeds, items, base = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4].rstrip("/")
follow = os.environ.get("FOLLOW") == "1"
FORMATS = ["rss2", "atom", "rss1", "json"]
SPEAKERS = ["the mayor", "Ana Pérez, a council member", "the finance director", "Jean Dupont"]


def charset_of(f):
    if FORMATS[f % 4] == "json" or f % 5 != 0:
        return "utf-8"
    return "windows-1252" if f % 10 == 0 else "iso-8859-1"


def paragraphs(f, i, n):
    out_ = []
    for p in range(n):
        who = SPEAKERS[(f + i + p) % len(SPEAKERS)]
        out_.append(
            f"<p>The council of town {f} met on Tuesday about item {i}, paragraph {p}. "
            f"“We will not raise taxes this year, whatever the café owners say,” said {who}, "
            f"after weeks of debate over the budget and the <a href=\"{base}/a/{f}/{(i + 1) % items}.html\">"
            f"previous story</a>. The vote is expected next week; residents can comment until Friday.</p>"
        )
    return "".join(out_)


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def article(f, i):
    return (
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<title>Council debates budget, part {i} – Town {f} News</title>"
        f"<link rel=\"canonical\" href=\"{base}/a/{f}/{i}.html\">"
        f"<meta property=\"og:site_name\" content=\"Town {f} News\">"
        "<meta name=\"author\" content=\"Staff Reporter\"></head><body>"
        "<header><nav><a href=\"/\">Home</a> <a href=\"/politics\">Politics</a> <a href=\"/sport\">Sport</a></nav></header>"
        f"<main><article><h1>Council debates budget, part {i}</h1><p class=\"byline\">By Staff Reporter</p>"
        f"{paragraphs(f, i, 8)}</article></main>"
        "<aside class=\"related\"><ul><li><a href=\"/x\">Related one</a></li><li><a href=\"/y\">Related two</a></li></ul></aside>"
        "<footer>© Town News. All rights reserved.</footer></body></html>"
    )


def item_fields(f, i):
    full = f % 3 == 0
    summary = f"<p>The council of town {f} met on Tuesday about item {i}. “We will not raise taxes,” said the mayor.</p>"
    return {
        "title": f"Council debates budget, part {i} of town {f}",
        "link": f"{base}/a/{f}/{i}.html?utm_source=rss",
        "guid": f"urn:town{f}:item{i}",
        "day": 1 + i % 28,
        "hour": (f + i) % 24,
        "summary": summary,
        "content": paragraphs(f, i, 6) if full else None,
    }


def rss2(f, cs):
    parts = [
        f'<?xml version="1.0" encoding="{cs}"?><rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>Town {f} News</title><link>{base}/</link><description>News of town {f}</description><language>en</language>"
    ]
    for i in range(items):
        it = item_fields(f, i)
        parts.append(
            f"<item><title>{esc(it['title'])}</title><link>{esc(it['link'])}</link><guid isPermaLink=\"false\">{it['guid']}</guid>"
            f"<pubDate>Tue, {it['day']:02d} Nov 2026 {it['hour']:02d}:00:00 GMT</pubDate>"
            f"<description>{esc(it['summary'])}</description>"
            + (f"<content:encoded><![CDATA[{it['content']}]]></content:encoded>" if it["content"] else "")
            + "</item>"
        )
    parts.append("</channel></rss>")
    return "".join(parts)


def atom(f, cs):
    parts = [
        f'<?xml version="1.0" encoding="{cs}"?><feed xmlns="http://www.w3.org/2005/Atom">'
        f"<title>Town {f} News</title><id>urn:town{f}</id><updated>2026-11-28T00:00:00Z</updated>"
        f'<link href="{base}/"/><author><name>Town {f}</name></author>'
    ]
    for i in range(items):
        it = item_fields(f, i)
        parts.append(
            f"<entry><title>{esc(it['title'])}</title><link href=\"{esc(it['link'])}\"/><id>{it['guid']}</id>"
            f"<updated>2026-11-{it['day']:02d}T{it['hour']:02d}:00:00Z</updated>"
            f"<summary type=\"html\">{esc(it['summary'])}</summary>"
            + (f"<content type=\"html\">{esc(it['content'])}</content>" if it["content"] else "")
            + "</entry>"
        )
    parts.append("</feed>")
    return "".join(parts)


def rss1(f, cs):
    parts = [
        f'<?xml version="1.0" encoding="{cs}"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
        'xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f'<channel rdf:about="{base}/"><title>Town {f} News</title><link>{base}/</link><description>News</description></channel>'
    ]
    for i in range(items):
        it = item_fields(f, i)
        parts.append(
            f"<item rdf:about=\"{esc(it['link'])}\"><title>{esc(it['title'])}</title><link>{esc(it['link'])}</link>"
            f"<dc:date>2026-11-{it['day']:02d}T{it['hour']:02d}:00:00Z</dc:date>"
            f"<description>{esc(it['summary'])}</description>"
            + (f"<content:encoded><![CDATA[{it['content']}]]></content:encoded>" if it["content"] else "")
            + "</item>"
        )
    parts.append("</rdf:RDF>")
    return "".join(parts)


def jsonfeed(f):
    entries = []
    for i in range(items):
        it = item_fields(f, i)
        entry = {
            "id": it["guid"],
            "url": it["link"],
            "title": it["title"],
            "summary": it["summary"],
            "date_published": f"2026-11-{it['day']:02d}T{it['hour']:02d}:00:00Z",
        }
        if it["content"]:
            entry["content_html"] = it["content"]
        else:
            entry["content_html"] = it["summary"]
        entries.append(entry)
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": f"Town {f} News", "home_page_url": f"{base}/", "items": entries}
    return json.dumps(doc, ensure_ascii=False)


os.makedirs(os.path.join(out, "f"), exist_ok=True)
sources = []
for f in range(feeds):
    fmt, cs = FORMATS[f % 4], charset_of(f)
    text = {"rss2": rss2, "atom": atom, "rss1": rss1}[fmt](f, cs) if fmt != "json" else jsonfeed(f)
    ext = "json" if fmt == "json" else "xml"
    with open(os.path.join(out, "f", f"{f}.{ext}"), "wb") as fh:
        fh.write(text.encode(cs, errors="xmlcharrefreplace" if cs != "utf-8" else "strict"))
    sources.append(f'[[source]]\nid = "town-{f}"\nurl = "{base}/f/{f}.{ext}"\n' + ("follow = true\n" if follow else ""))
    if follow:
        os.makedirs(os.path.join(out, "a", str(f)), exist_ok=True)
        for i in range(items):
            with open(os.path.join(out, "a", str(f), f"{i}.html"), "w", encoding="utf-8") as fh:
                fh.write(article(f, i))
with open(os.path.join(out, "sources.toml"), "w", encoding="utf-8") as fh:
    fh.write("\n".join(sources))
