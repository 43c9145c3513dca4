# The two set-up commands (README): `make demo` and `make test`. Both install what they need first.
PY := .venv/bin/python
DB ?= archive.db

.PHONY: demo test bench serve deps

.venv/installed: requirements.txt
	python3 -m venv .venv
	.venv/bin/pip install -q --upgrade pip
	.venv/bin/pip install -q -r requirements.txt
	touch $@

# pywb (WARC replay: tests/test_warc.py, docs/warc.md) in a virtualenv of its own: it requires brotlipy,
# whose `brotli` module would shadow the Brotli that Scrapy decodes br responses with.
.venv-pywb/installed: requirements-pywb.txt
	python3 -m venv .venv-pywb
	.venv-pywb/bin/pip install -q --upgrade pip
	.venv-pywb/bin/pip install -q -r requirements-pywb.txt
	touch $@

# Debian's Chromium (the browser path and the browser tests) and a CJK font for screenshots.
/usr/bin/chromium:
	(apt-get update -qq && apt-get install -y -qq chromium fonts-wqy-zenhei) || \
	  (sudo apt-get update -qq && sudo apt-get install -y -qq chromium fonts-wqy-zenhei)

# OCR of scanned PDFs (Tesseract with Simplified Chinese) and old office formats (LibreOffice headless:
# DOC/WPS -> DOCX, XLS/ET -> XLSX). The -nogui packages: no X11 stack.
FORMAT_PKGS := tesseract-ocr tesseract-ocr-chi-sim libreoffice-writer-nogui libreoffice-calc-nogui
/usr/share/tesseract-ocr/5/tessdata/chi_sim.traineddata /usr/bin/soffice:
	(apt-get update -qq && apt-get install -y -qq --no-install-recommends $(FORMAT_PKGS)) || \
	  (sudo apt-get update -qq && sudo apt-get install -y -qq --no-install-recommends $(FORMAT_PKGS))

# wget: the other crawler whose --warc-file output tests/test_warc.py imports.
/usr/bin/wget:
	(apt-get update -qq && apt-get install -y -qq wget) || (sudo apt-get update -qq && sudo apt-get install -y -qq wget)

deps: .venv/installed .venv-pywb/installed /usr/bin/chromium /usr/bin/wget \
      /usr/share/tesseract-ocr/5/tessdata/chi_sim.traineddata /usr/bin/soffice

# The main job: crawl every agency of the bundled replica web, then extract, into $(DB).
demo: deps
	$(PY) scheduler.py run --replica --db $(DB)
	@echo
	@echo "Open it:  make serve   (or: .venv/bin/datasette serve $(DB) --metadata archive/datasette/metadata.yml --plugins-dir archive/datasette/plugins --setting truncate_cells_html 120 --setting sql_time_limit_ms 3000)"

test: deps
	$(PY) -m pytest

# Read-only: Datasette never writes without a write plugin; not -i, which ignores the WAL.
serve: deps
	.venv/bin/datasette serve $(DB) --metadata archive/datasette/metadata.yml --plugins-dir archive/datasette/plugins --setting truncate_cells_html 120 --setting sql_time_limit_ms 3000

bench: deps
	$(PY) bench/crawl.py
	$(PY) bench/extract.py
