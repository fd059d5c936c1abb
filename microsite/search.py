"""Search index: one script per language, loaded lazily by static/search.js.

The index is JavaScript (`window.__searchIndex = …`), not JSON, because browsers refuse to fetch
files from file://; result paths come from the URL policy, relative to the site root.
"""
from __future__ import annotations

import json

from . import model as m
from .urls import UrlPolicy


def search_index(site: m.Site, policy: UrlPolicy, lang: str) -> bytes:
    docs = []
    for kind, items in site.collections().items():
        for item in items:
            title = item.title if kind == "source" else getattr(item, "name", None) or item.title
            text = title if isinstance(title, str) else title.pick(lang)[0]
            docs.append({"k": kind, "t": text, "u": policy.href("index.html", policy.page(lang, kind, item.id))})
    body = json.dumps({"docs": docs}, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return f"window.__searchIndex={body};\n".encode("utf-8")
