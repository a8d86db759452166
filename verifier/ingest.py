"""Ingest: files and folders on disk into `Document`s with stable ids and offsets.

A bad file never stops a batch: it is skipped with a one-line reason, because a user
who drops a folder of mixed files wants the readable ones verified, not a traceback.
"""

from __future__ import annotations

import codecs
import email.utils
import hashlib
import io
import logging
import os
import re
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from . import dates, timing
from .files import FileTooLarge, NotARegularFile, kind_of, read_regular
from .models import Document, SkippedFile

SUPPORTED = {".txt": "text", ".md": "text", ".markdown": "text", ".html": "html", ".htm": "html", ".pdf": "pdf"}
_BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section",
    "article", "header", "footer", "blockquote", "pre", "table", "tr", "hr", "main", "aside",
    "figure", "figcaption", "dd", "dt", "dl", "nav", "title",
}
# meta names of a page's publication date, first the publication, then (when there is none) the last change
_PUBLISHED_META = ("article:published_time", "og:published_time", "datepublished", "pubdate", "publish-date",
                   "dc.date", "date", "article:modified_time", "datemodified")
_HIDDEN_TAGS = {"script", "style", "noscript", "template", "svg", "head"}


class IngestError(Exception):
    """No document of the batch could be read: the one ingest failure that stops a run."""


@dataclass
class IngestResult:
    """The readable documents, in sorted path order, and the files skipped with reasons."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[SkippedFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # the dates each document gives for itself, as read here to date it, under the key the time stage
    # reads them by (id, sha256, path, the page metadata read with them): the time stage need not read them again
    readings: dict[tuple[str, str, str, str | None], list[timing.DateReading]] = field(default_factory=dict)


MAX_DOCUMENT_BYTES = 20 * 1024 * 1024  # a news article is kilobytes; a 200 MB "document" is a mistake


def ingest(paths: Iterable[str | Path], max_bytes: int = MAX_DOCUMENT_BYTES) -> IngestResult:
    """Read every supported file under `paths`; skip (and say why) what cannot be used."""
    result = IngestResult()
    seen_ids: set[str] = set()
    seen_hashes: dict[str, str] = {}
    for path in _walk(paths, result):
        readings: list[timing.DateReading] = []
        metadata: list[str | None] = []
        doc_or_reason = read_document(path, max_bytes, readings, metadata)
        if isinstance(doc_or_reason, str):
            result.skipped.append(SkippedFile(path=str(path), reason=doc_or_reason))
            continue
        doc = doc_or_reason
        if doc.sha256 in seen_hashes:
            reason = f"duplicate of {seen_hashes[doc.sha256]} (same content)"
            result.skipped.append(SkippedFile(path=str(path), reason=reason))
            continue
        doc.id = _unique_id(doc.id, seen_ids)
        seen_hashes[doc.sha256] = doc.id
        if doc.replaced_bytes:
            result.notes.append(
                f"{path}: {doc.replaced_bytes} undecodable byte(s) replaced with U+FFFD"
            )
        result.documents.append(doc)
        result.readings[(doc.id, doc.sha256, doc.path, metadata[0])] = readings
    return result


def _unique_id(stem: str, seen: set[str]) -> str:
    """Keep ids unique when two folders hold files with the same stem."""
    candidate, n = stem, 2
    while candidate in seen:
        candidate, n = f"{stem}-{n}", n + 1
    seen.add(candidate)
    return candidate


def _walk(paths: Iterable[str | Path], result: IngestResult) -> Iterator[Path]:
    """Yield supported files in sorted order; record missing paths, unsupported and non-regular files."""
    for raw in paths:
        path = Path(raw)
        mode = _mode(path, result)
        if mode is None:
            continue
        if stat.S_ISDIR(mode):
            found = list(_walk_dir(path, result))
            if not found:
                result.skipped.append(
                    SkippedFile(path=str(path), reason="folder holds no .txt, .md, .html or .pdf file")
                )
            yield from found
        elif _usable(path, mode, result):
            yield path


def _mode(path: Path, result: IngestResult) -> int | None:
    """The file mode of what `path` points to, or None (skipped with the reason: missing, a symlink
    loop, no permission), so one bad entry never stops the walk."""
    try:
        return path.stat().st_mode
    except FileNotFoundError:
        reason = "no such file or folder"
    except OSError as exc:
        reason = exc.strerror or str(exc)
    result.skipped.append(SkippedFile(path=str(path), reason=reason))
    return None


def _usable(path: Path, mode: int, result: IngestResult) -> bool:
    """Whether a non-folder entry is a regular file of a supported type; else it is skipped with one line.

    A named pipe would block the read for ever and a device never ends, so only regular
    files are read.
    """
    kind = kind_of(mode)
    if kind is not None:
        reason = f"{kind}, not a regular file"
    elif path.suffix.lower() not in SUPPORTED:
        reason = f"unsupported file type {path.suffix or '(none)'!r}"
    else:
        return True
    result.skipped.append(SkippedFile(path=str(path), reason=reason))
    return False


def _walk_dir(root: Path, result: IngestResult) -> Iterator[Path]:
    """Walk a folder recursively in sorted order without following symlink loops."""
    visited: set[tuple[int, int]] = set()
    stack = [root]
    files: list[Path] = []
    while stack:
        folder = stack.pop()
        try:
            info = folder.stat()
        except OSError as exc:
            result.skipped.append(SkippedFile(path=str(folder), reason=exc.strerror or str(exc)))
            continue
        if (info.st_dev, info.st_ino) in visited:
            result.skipped.append(SkippedFile(path=str(folder), reason="symlink loop, visited"))
            continue
        visited.add((info.st_dev, info.st_ino))
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            result.skipped.append(SkippedFile(path=str(folder), reason=exc.strerror or str(exc)))
            continue
        for entry in entries:
            entry_path = Path(entry.path)
            mode = _mode(entry_path, result)
            if mode is None:
                continue
            if stat.S_ISDIR(mode):
                stack.append(entry_path)
            elif _usable(entry_path, mode, result):
                files.append(entry_path)
    yield from sorted(files, key=lambda p: str(p))


def read_document(path: Path, max_bytes: int = MAX_DOCUMENT_BYTES, readings: list[timing.DateReading] | None = None,
                  metadata: list[str | None] | None = None) -> Document | str:
    """Read one file into a Document, or return the reason it cannot be used.

    The size is checked before reading, so memory stays bounded whatever lies in the folder,
    and only a regular file is opened for reading (a named pipe would wait for ever). The dates the
    document gives for itself, read to date it, are added to `readings`, and the page metadata they
    were read with to `metadata`, when those are given.
    """
    try:
        data = read_regular(path, max_bytes)
    except FileTooLarge as exc:
        return f"too large: {_megabytes(exc.size)} (the limit is {_megabytes(max_bytes)}; --max-document-mb)"
    except NotARegularFile as exc:
        return str(exc)
    except OSError as exc:
        return f"unreadable: {exc.strerror or exc}"
    kind = SUPPORTED.get(path.suffix.lower())
    if kind == "pdf":
        extracted = pdf_to_text(data)
        if extracted.startswith("!"):
            return extracted[1:]
        text, replaced, title, published = extracted, 0, "", None
    else:
        decoded, replaced = decode(data)
        if decoded is None:
            return "binary data, not text"
        page = html_page(decoded) if kind == "html" else None
        title, text = (page.title, page.text) if page else ("", decoded)
        published = page.published if page else None
    if not text.strip():
        return "empty"
    found = timing.date_readings(text, str(path), published if kind == "html" else None)
    day, source = (found[0].day, found[0].source) if found else (None, None)  # timing.document_date's reading
    if readings is not None and metadata is not None:
        readings += found
        metadata.append(published if kind == "html" else None)
    return Document(
        id=path.stem,
        path=str(path),
        sha256=hashlib.sha256(data).hexdigest(),
        title=title or first_line(text),
        text=text,
        replaced_bytes=replaced,
        date=day,
        date_source=source,  # type: ignore[arg-type]
    )


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MB"


def pdf_to_text(data: bytes) -> str:
    """The text layer of a PDF (pypdf), pages separated by blank lines; '!reason' when there is none."""
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError:  # pragma: no cover - pypdf is a dependency
        return "!PDF support needs pypdf"
    logging.getLogger("pypdf").setLevel(logging.ERROR)  # its warnings would break the one-line-per-file rule
    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [(page.extract_text() or "").strip() for page in reader.pages]
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        return f"!unreadable PDF: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
    text = "\n\n".join(p for p in pages if p)
    return text if text.strip() else "!PDF has no text layer (a scan?): run OCR first"


def decode(data: bytes) -> tuple[str | None, int]:
    """Decode bytes as text, returning (None, 0) for binary data.

    UTF-16 with a BOM is honoured; everything else is UTF-8 with undecodable bytes
    replaced and counted, so one bad byte costs a character, not the document.
    """
    for bom, encoding in ((codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            try:
                return data.decode(encoding), 0
            except UnicodeDecodeError:
                return None, 0
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    if _looks_binary(data):
        return None, 0
    text = data.decode("utf-8", errors="replace")
    replaced = text.count("\ufffd") - data.count("\ufffd".encode())
    return text, max(replaced, 0)


def _looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters mean this is not a text document."""
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = len(sample.translate(None, _NOT_CONTROL))  # counted in C: a loop over bytes took 0.35 s a 10,000 files
    return bool(sample) and controls / len(sample) > 0.1


_NOT_CONTROL = bytes(b for b in range(256) if not (b < 32 and b not in (9, 10, 12, 13)))  # deleted, controls remain


def first_line(text: str) -> str:
    """A document's title when it has no other: its first non-empty line, trimmed."""
    for line in text.splitlines():
        line = line.strip().lstrip("#").strip()
        if len(line) > 120:
            end = line.find(". ", 40, 120)
            line = line[:end + 1] if end > 0 else line[:120].rsplit(" ", 1)[0] + "…"
        if line:
            return line
    return ""


class _VisibleText(HTMLParser):
    """Collect the visible text of an HTML page; tables become pipe rows for the rules."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title: list[str] = []
        self._hidden = 0
        self._in_title = False
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._dates: dict[int, str] = {}  # rank of the meta name (or of a <time>) -> date

    @property
    def published(self) -> str | None:
        """The publication date the page declares: the best-ranked meta tag, else its first <time datetime>."""
        return self._dates[min(self._dates)] if self._dates else None

    def _publication_date(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k.lower(): v or "" for k, v in attrs}
        names = {values.get("property", "").lower(), values.get("name", "").lower(), values.get("itemprop", "").lower()}
        ranks = [n for n, name in enumerate(_PUBLISHED_META) if name in names]
        if tag == "meta" and ranks:
            rank, candidate = ranks[0], values.get("content", "")
        elif tag == "time" and "datetime" in values:
            rank, candidate = len(_PUBLISHED_META), values["datetime"]
        else:
            return
        day = _metadata_day(candidate)
        if day:
            self._dates.setdefault(rank, day)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("meta", "time"):
            self._publication_date(tag, attrs)
        if tag in _HIDDEN_TAGS:
            self._hidden += 1
        if tag == "title":
            self._in_title = True
        if tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag in _BLOCK_TAGS and self._row is None:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN_TAGS and self._hidden:
            self._hidden -= 1
        if tag == "title":
            self._in_title = False
        if tag in ("td", "th") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.parts.append("\n| " + " | ".join(self._row) + " |\n")
            self._row = None
        elif tag in _BLOCK_TAGS and self._row is None:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title.append(data)
        if self._hidden:
            return
        if self._cell is not None:
            self._cell.append(data)
        elif self._row is None:
            self.parts.append(data)


def _metadata_day(value: str) -> str | None:
    """The calendar day of a metadata date: ISO ('2026-04-09T10:00Z'), an e-mail style date
    ('Thu, 09 Apr 2026 10:00:00 GMT') or a written one ('April 9, 2026', '9 April 2026').
    Numeric day/month orders ('09/04/2026') are ambiguous and left alone."""
    value = value.strip()[:80]
    m = re.match(r"((?:19|20)\d\d)[-/](\d\d)[-/](\d\d)", value)
    if m:
        return "-".join(m.groups())
    try:
        return email.utils.parsedate_to_datetime(value).date().isoformat()
    except (TypeError, ValueError, IndexError):
        pass
    written = dates.FULL_DATE.search(value)
    day = dates.normalize_date(written) if written else None
    return day if day and len(day) == 10 else None  # a day with no year is no publication date


@dataclass(frozen=True)
class HtmlPage:
    """What verifier reads from an HTML page: its title, visible text and declared publication date."""

    title: str
    text: str
    published: str | None


_MAIN_TEXT_MIN_CHARS = 500  # a main text this long, or a tenth of the visible text, is an article found


def html_page(html: str) -> HtmlPage:
    """The title, main text and publication date of a page: trafilatura's article when it finds one,
    else the whole visible text."""
    import trafilatura  # here, not at the top: it takes most of a second to import, and text files never need it

    page = _visible_page(html)
    try:
        doc = trafilatura.bare_extraction(
            html, include_comments=False, include_tables=True, favor_precision=True, with_metadata=True,
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception:  # whatever the library trips on, the visible text is still there
        doc = None
    text = getattr(doc, "text", None) or ""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    text = "\n".join(line for line in lines if line)
    if not text or (len(text) < _MAIN_TEXT_MIN_CHARS and len(text) < len(page.text) / 10):
        return page
    title = " ".join((getattr(doc, "title", None) or "").split()) or page.title
    date = getattr(doc, "date", None)
    published = page.published or (date if date and re.match(r"(?:19|20)\d\d-\d\d-\d\d$", date) else None)
    return HtmlPage(title, text, published)


def _visible_page(html: str) -> HtmlPage:
    """The title, visible text (scripts and styles stripped) and publication date of a page."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    lines = [" ".join(line.split()) for line in "".join(parser.parts).splitlines()]
    text = "\n".join(line for line in lines if line)
    return HtmlPage(" ".join("".join(parser.title).split()), text, parser.published)


def html_to_text(html: str) -> tuple[str, str]:
    """Return (title, visible text) of an HTML page, scripts and styles stripped."""
    page = html_page(html)
    return page.title, page.text
