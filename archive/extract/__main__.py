"""python -m archive.extract PATH... [--url URL]: extract report files, one JSON object per line.

Files: .html/.htm/.shtml/.txt/.pdf/.docx/.doc/.wps/.xlsx/.xls/.et/.ofd. A file that fails gives {"file": ..., "error": ...} on its line
and the command exits 1 at the end; the other files are still processed.
"""
from __future__ import annotations

import argparse
import json
import sys

from archive.extract import ExtractError
from archive.extract.extract import extract_document


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m archive.extract", description=__doc__.split("\n")[0])
    ap.add_argument("paths", nargs="+", metavar="PATH", help="report files (.html .txt .pdf .docx .doc .wps .xlsx .xls .et .ofd)")
    ap.add_argument("--url", help="the URL the document was published at (helps find the agency)")
    ap.add_argument("--no-text", action="store_true", help="leave text/original_text out of the output")
    ap.add_argument("--indent", type=int, default=None, help="pretty-print (single file)")
    args = ap.parse_args(argv)
    failed = 0
    for path in args.paths:
        try:
            with open(path, "rb") as f:
                data = f.read()
            result = {"file": path, **extract_document(data, url=args.url, filename=path)}
            if args.no_text:
                result.pop("text", None)
                result.pop("original_text", None)
        except (ExtractError, OSError) as e:
            failed += 1
            result = {"file": path, "error": f"{type(e).__name__}: {e}"}
        except Exception as e:  # a bug on one file must not lose the others
            failed += 1
            result = {"file": path, "error": f"internal error {type(e).__name__}: {e}"}
        indent = args.indent if len(args.paths) == 1 else None
        print(json.dumps(result, ensure_ascii=False, indent=indent), flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
