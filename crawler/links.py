"""Links of a page as the families and the spider read them (no Scrapy state here).

    anchors(response)   # [(title, absolute url)] of every <a href>, and links written by document.write
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from parsel import Selector
from scrapy.http import TextResponse

DOC_WRITE = re.compile(r"document\.write\(\s*(['\"])(.*?)(?<!\\)\1\s*\)", re.S)


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def anchors(response) -> list[tuple[str, str]]:
    """(title, absolute url) of every link of a page: the DOM's <a href>, and links written by
    inline `document.write('...')`. Title = the title attribute and the link text."""
    if not isinstance(response, TextResponse):
        return []
    found = anchors_in(response.selector, response)
    for _, js in DOC_WRITE.findall(response.text):
        html = re.sub(r"\\(.)", r"\1", js)
        found += anchors_in(Selector(text=html), response)
    return found


def anchors_in(sel: Selector, response) -> list[tuple[str, str]]:
    """(title, absolute url) of the <a href> under `sel`, resolved against the response's URL."""
    out = []
    for a in sel.css("a[href]"):
        href = (a.attrib.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "#", "mailto:")):
            continue
        title = clean(" ".join([a.attrib.get("title", ""), " ".join(a.css("::text").getall())]))
        out.append((title, response.urljoin(href)))
    return out


def same_dir(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return pa.netloc == pb.netloc and pa.path.rsplit("/", 1)[0] == pb.path.rsplit("/", 1)[0]
