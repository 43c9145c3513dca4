"""Suizhou housing department on Hubei's shared TRS platform: zjj.suizhou.gov.cn, behind a JS challenge.

Column /fbjd/zfxxgk/xxgknb/index.shtml, then index_1.shtml (= page 2), index_2.shtml ...; the pager is
drawn by an inline createPageHTML(total, current, "index", "shtml") (current 0-based).
Items <li><a href="./202003/t20200304_738299.shtml">title</a><span>2020-03-04</span></li>.
Detail YYYYMM/tYYYYMMDD_{id}.shtml with head tags ArticleTitle / PubDate / ContentSource, body div.TRS_UEDITOR.

The JS challenge (modelled on the platform's $_ts): every HTML request without a valid cookie gets
HTTP 412 and an inline script that computes a value from a server nonce (FNV-1a over nonce + a salt
assembled from char codes), stores it in document.cookie and calls location.reload(). The nonce carries
its issue time and an HMAC with a server secret; the server accepts the cookie while the nonce is younger
than challenge_ttl seconds. A plain HTTP client never gets past the 412; a real browser does.
Attachments (PDF/DOCX) and robots.txt are NOT behind the challenge (static files served directly).
"""
from __future__ import annotations

import hashlib
import hmac
import os
import time

from replica.model import Notice, Report
from replica.sites.base import Entry, Request, Resource, Response, Site, article_tags, day, esc, meta_tags, minute

HOST = "zjj.suizhou.gov.cn"
COLUMN = "/fbjd/zfxxgk/xxgknb/"
SITE_NAME = "随州市住房和城乡建设局"
COLUMN_NAME = "政府信息公开年报"
COOKIE = "FSSBBIl1UgzbN7NS"
SALT = "sz$ts!412"
KNOWN_URLS = {("suizhou_zjw", 2016): ("20200304", 738299)}   # confirmed URL (sites.md)


def fnv1a(text: str) -> str:
    """32-bit FNV-1a over UTF-16 code units (what the JS computes with charCodeAt), as 8 hex digits."""
    h = 0x811C9DC5
    data = text.encode("utf-16-le")
    for i in range(0, len(data), 2):
        h ^= data[i] | data[i + 1] << 8
        h = (h * 0x01000193) & 0xFFFFFFFF
    return f"{h:08x}"


class HubeiSuizhou(Site):
    family = "trs_hubei"
    hosts = (HOST,)
    agency_prefixes = ("suizhou_",)
    page_size = 15
    site_name = SITE_NAME
    site_code = "4213000014"
    filler_agency = "suizhou_zjw"

    def __init__(self, seed: int = 2024):
        super().__init__(seed)
        self.secret = os.urandom(16)
        self.challenge_ttl = 1800.0

    def _url(self, url_date: str, doc_id: int) -> str:
        return f"http://{HOST}{COLUMN}{url_date[:6]}/t{url_date}_{doc_id}.shtml"

    def report_url(self, report: Report) -> str:
        url_date, doc_id = KNOWN_URLS.get((report.agency, report.year), (report.url_date, report.doc_id))
        return self._url(url_date, doc_id)

    def notice_url(self, notice: Notice) -> str:
        return self._url(notice.url_date, notice.doc_id)

    # --- the challenge ------------------------------------------------------------------------
    def _sign(self, stamp_rand: str) -> str:
        return hmac.new(self.secret, stamp_rand.encode(), hashlib.sha256).hexdigest()[:16]

    def new_nonce(self) -> str:
        stamp_rand = f"{int(time.time()):x}{os.urandom(4).hex()}"
        return stamp_rand + self._sign(stamp_rand)

    def cookie_ok(self, value: str | None) -> bool:
        if not value or "." not in value:
            return False
        nonce, answer = value.rsplit(".", 1)
        if len(nonce) < 24:
            return False
        stamp_rand, sig = nonce[:-16], nonce[-16:]
        if not hmac.compare_digest(sig, self._sign(stamp_rand)):
            return False
        try:
            issued = int(stamp_rand[:-8], 16)
        except ValueError:
            return False
        if time.time() - issued > self.challenge_ttl:
            return False
        return hmac.compare_digest(answer, fnv1a(nonce + SALT))

    def challenge_page(self) -> bytes:
        nonce = self.new_nonce()
        codes = ",".join(str(ord(c)) for c in SALT)
        return f"""<!DOCTYPE html><html><head><meta charset="utf-8">
<meta http-equiv="Pragma" content="no-cache"><meta http-equiv="Expires" content="0">
<script type="text/javascript">
var $_ts=window['$_ts'];if(!$_ts)$_ts={{}};$_ts.nsd="{nonce}";
(function(){{var _$s=String.fromCharCode({codes}),_$n=$_ts.nsd,_$i,_$h=0x811c9dc5;
var _$t=_$n+_$s;for(_$i=0;_$i<_$t.length;_$i++){{_$h^=_$t.charCodeAt(_$i);_$h=Math.imul(_$h,0x01000193)>>>0;}}
var _$v=("0000000"+_$h.toString(16)).slice(-8);
document.cookie="{COOKIE}="+_$n+"."+_$v+"; path=/";location.reload();}})();
</script></head><body></body></html>""".encode("utf-8")

    def gate(self, req: Request, resource: Resource | None) -> Response | None:
        is_html = resource is None or resource.content_type.startswith("text/html")
        if not is_html or req.path == "/robots.txt" or self.cookie_ok(req.cookies.get(COOKIE)):
            return None
        return Response(412, self.challenge_page(), [("Content-Type", "text/html; charset=utf-8"),
                                                     ("Cache-Control", "no-cache, no-store")])

    # --- pages --------------------------------------------------------------------------------
    def extras(self, columns: dict[str, list[Entry]]) -> dict:
        self.specials["offsite"] = ["http://www.gov.cn/", "http://www.hubei.gov.cn/"]
        return {}

    def list_path(self, column: str, index: int) -> str:
        return COLUMN + ("index.shtml" if index == 0 else f"index_{index}.shtml")

    def list_page(self, column: str, entries: list[Entry], current: int, total: int) -> str:
        items = "\n".join(f'<li><a href="./{esc(e.url.split(COLUMN, 1)[1])}" target="_blank" title="{esc(e.title)}">'
                          f'{esc(e.title)}</a><span>{day(e.published)}</span></li>' for e in entries)
        main = f"""<div class="location">当前位置：<a href="/">首页</a> &gt; <a href="/fbjd/zfxxgk/">政府信息公开</a> &gt; {COLUMN_NAME}</div>
<div class="list_box"><ul class="list">
{items}
</ul>
<div class="page"><script type="text/javascript">
function createPageHTML(_nPageCount, _nCurrIndex, _sPageName, _sPageExt) {{
  if (_nPageCount == null || _nPageCount <= 1) return;
  var h = "";
  for (var i = 0; i < _nPageCount; i++) {{
    var n = (i == 0) ? _sPageName + "." + _sPageExt : _sPageName + "_" + i + "." + _sPageExt;
    h += (i == _nCurrIndex) ? "<span class='current'>" + (i + 1) + "</span> " : "<a href='" + n + "'>" + (i + 1) + "</a> ";
  }}
  document.write(h);
}}
createPageHTML({total}, {current}, "index", "shtml");
</script></div></div>"""
        return self.chrome(f"{COLUMN_NAME}-{SITE_NAME}", main, self.site_meta(COLUMN_NAME))

    def detail_html(self, r: Report) -> tuple[str, str, str]:
        # the article tags are there before 2019 too
        metas = self.detail_meta(r, COLUMN_NAME, r.agency_name) or meta_tags(article_tags(r, r.agency_name))
        body = self.body_with_attachments(r, relative_to=self.page_dir(r))
        main = f"""<div class="article">
<h2 class="title">{esc(r.title)}</h2>
<div class="info"><span>发布时间：{minute(r.published)}</span> <span>来源：{esc(r.agency_name)}</span></div>
<div class="article_con"><div class="TRS_UEDITOR TRS_WEB">
{body}
</div></div>
<div class="ewm"><img src="/images/ewm.png" alt=""><p>扫一扫在手机上查看当前页面</p></div>
</div>"""
        return f"{r.title}-{SITE_NAME}", main, metas

    def notice_html(self, n: Notice) -> tuple[str, str]:
        main = (f'<div class="article"><h2 class="title">{esc(n.title)}</h2><div class="info"><span>发布时间：'
                f'{minute(n.published)}</span></div><div class="article_con"><div class="TRS_UEDITOR">{n.body_html}'
                f'</div></div></div>')
        return f"{n.title}-{SITE_NAME}", main

    def chrome(self, title: str, main: str, metas: str = "") -> str:
        return f"""<!DOCTYPE html>
<html><head>
<meta charset="utf-8">
<title>{esc(title)}</title>
{metas}
</head><body>
<div class="head"><a href="/">{SITE_NAME}</a> <a href="http://www.suizhou.gov.cn/">随州市人民政府</a></div>
{main}
<div class="foot"><a href="http://www.gov.cn/" target="_blank">中国政府网</a> <a href="http://www.hubei.gov.cn/" target="_blank">湖北省人民政府</a>
<p>主办：{SITE_NAME}　网站标识码：{self.site_code}</p></div>
</body></html>"""
