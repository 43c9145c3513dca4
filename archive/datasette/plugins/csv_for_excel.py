"""Datasette plugin: every CSV Datasette serves is whole and opens right in Excel and WPS.

- a `.csv` request without `_stream` gets `_stream=on`, so the CSV holds every row of the table or
  query (Datasette's default stops at the page size, 1,000 rows, without saying so);
- the body starts with a UTF-8 byte-order mark, which Excel and WPS on Chinese Windows need to read
  UTF-8 (without it they guess GBK and the Chinese text comes out garbled).
An ASGI wrapper, so it applies to tables, views, canned queries and arbitrary SQL alike.
"""
from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from datasette import hookimpl

BOM = "\ufeff".encode("utf-8")


def _is_csv(scope) -> bool:
    return scope.get("type") == "http" and scope.get("path", "").endswith(".csv")


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def csv_for_excel(scope, receive, send):
            if not _is_csv(scope):
                return await app(scope, receive, send)
            query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            if not any(k == "_stream" for k, _ in query):
                query.append(("_stream", "on"))
                scope = dict(scope, query_string=urlencode(query).encode("latin-1"))
            state = {"csv": False, "first": True}

            async def send_with_bom(message):
                if message["type"] == "http.response.start":
                    types = [v for k, v in message.get("headers", []) if k.lower() == b"content-type"]
                    state["csv"] = message.get("status") == 200 and any(b"csv" in t or b"text/plain" in t for t in types)
                    if state["csv"]:   # the BOM changes the length: let the server send it chunked
                        message = dict(message, headers=[(k, v) for k, v in message.get("headers", [])
                                                          if k.lower() != b"content-length"])
                elif message["type"] == "http.response.body" and state["csv"] and state["first"]:
                    state["first"] = False
                    message = dict(message, body=BOM + message.get("body", b""))
                await send(message)

            return await app(scope, receive, send_with_bom)
        return csv_for_excel
    return wrap
