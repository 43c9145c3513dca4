"""The extractor: turns archived report pages and attachments into metadata and figures.

Entry points:
  archive.extract.extract.extract_document(data, url=..., ...) -> dict   (one document)
  python -m archive.extract PATH... [--url URL]                         (files -> JSON lines)
  archive.extract.run.run_extract(db_path, all=False) -> dict            (the pass over the archive)
See docs/extractor.md.
"""

# Bump whenever extraction output can change: the pass re-extracts captures not yet seen by this version.
EXTRACTOR_VERSION = "2.1"   # 2.1: units filled, source grids kept, OCR cells re-read; 2.0: real-report readers (blank cells, positions, OCR, office formats, gazetteer)


class ExtractError(Exception):
    """A document the extractor cannot turn into a report (the message says why)."""


class EmptyInput(ExtractError):
    """No bytes, or no text at all."""


class UndecodableInput(ExtractError):
    """Binary junk: the bytes are not text in any encoding we know, nor a PDF/DOCX."""


class UnsupportedFormat(ExtractError):
    """A format we cannot read (old binary .doc, .wps, spreadsheets, images...)."""


class NotAReport(ExtractError):
    """Readable, but not an annual information-disclosure report (soft 404, notice...)."""
