"""Files for the web besides the pages: sitemap, robots.txt, feed and data exports."""
from __future__ import annotations

from . import model as m
from .urls import UrlPolicy


def publish_files(site: m.Site, policy: UrlPolicy) -> dict[str, bytes]:
    return {}
