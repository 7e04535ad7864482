#!/usr/bin/env python3
"""Writes feeds just under the default 10 MiB body cap, for measuring the
peak memory of parsing one (issue 11.14; see benches/bigfeed.sh):

    bigfeed.py OUT_DIR [CAP_BYTES]

many-items.xml: RSS 2.0 of ~60,000 small items; few-items.xml: RSS 2.0 of 50
items with ~200 KB of HTML content each; atom-items.xml: Atom, ~40,000
entries with HTML summaries; json-items.json: JSON Feed, ~60,000 items.
"""
import json
import os
import sys

out = sys.argv[1]
cap = int(sys.argv[2]) if len(sys.argv) > 2 else 10 * 1024 * 1024
os.makedirs(out, exist_ok=True)


def fill(head, item, tail):
    parts, size, n = [head], len(head) + len(tail), 0
    while True:
        chunk = item(n)
        if size + len(chunk) > cap - 1024:
            break
        parts.append(chunk)
        size += len(chunk)
        n += 1
    parts.append(tail)
    return "".join(parts), n


rss_head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Big</title><link>http://example.org/</link><description>d</description>'
text, n = fill(rss_head, lambda i: f"<item><guid>g{i}</guid><title>Item {i}</title><link>http://example.org/{i}</link>"
               f"<pubDate>Tue, 24 Nov 2026 09:{i % 60:02d}:00 GMT</pubDate><description>Short item {i}.</description></item>",
               "</channel></rss>")
open(os.path.join(out, "many-items.xml"), "w").write(text)
print(f"many-items.xml: {n} items, {len(text)} bytes")

para = "<p>" + "The council met on Tuesday and said \"we will not raise taxes\" again. " * 40 + "</p>"
big = (para * 70).replace("<", "&lt;").replace(">", "&gt;")
text, n = fill(rss_head, lambda i: f"<item><guid>g{i}</guid><title>Long {i}</title><link>http://example.org/{i}</link>"
               f"<description>{big}</description></item>", "</channel></rss>")
open(os.path.join(out, "few-items.xml"), "w").write(text)
print(f"few-items.xml: {n} items, {len(text)} bytes")

atom_head = '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Big</title><id>urn:big</id><updated>2026-11-28T00:00:00Z</updated>'
text, n = fill(atom_head, lambda i: f'<entry><title>Entry {i}</title><id>urn:e{i}</id><link href="http://example.org/{i}"/>'
               f'<updated>2026-11-24T09:{i % 60:02d}:00Z</updated><summary type="html">&lt;p&gt;Summary {i}&lt;/p&gt;</summary></entry>',
               "</feed>")
open(os.path.join(out, "atom-items.xml"), "w").write(text)
print(f"atom-items.xml: {n} items, {len(text)} bytes")

items, size = [], 200
while size < cap - 4096:
    i = len(items)
    entry = {"id": f"i{i}", "url": f"http://example.org/{i}", "title": f"Item {i}", "content_text": f"Short item {i}.",
             "date_published": "2026-11-24T09:00:00Z"}
    size += len(json.dumps(entry)) + 2
    items.append(entry)
text = json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "Big", "items": items})
open(os.path.join(out, "json-items.json"), "w").write(text)
print(f"json-items.json: {len(items)} items, {len(text)} bytes")
