"""A batch sent as JSON, read from its spooled body with the limits checked as it is read.

`json.loads` of a whole body holds the body and every object made from it at once: a 28 MB
body of 10^6 tiny documents took 1 GB before the file-count limit refused it, and a 207 MB
one 5.6 GB and 37 s, on the event loop. Here the body is scanned once for its structure
(C-speed regular expressions over a bounded buffer); each document is decoded on its own
and checked against the limits, and the read stops at the first limit passed, so memory
stays within one document (at most the per-file limit) plus what was accepted before it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import IO, Any

from .service import Limits, Refused, Upload

CHUNK_BYTES = 1 << 16
OPTIONS_BYTES = 1 << 20  # everything but the documents: a few options and at most a list of paths
_SPACE = re.compile(rb"[ \t\r\n]*")
_IN_STRING = re.compile(rb'["\\]')
_STRUCTURE = re.compile(rb'["\[\]{}]')
_SCALAR = re.compile(rb"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?|true|false|null")
_QUOTE, _OPENING, _CLOSING = ord('"'), b"[{", b"]}"


@dataclass
class JsonBatch:
    """What a JSON body holds: its documents as uploads, and every other field as decoded JSON."""

    uploads: list[Upload] = field(default_factory=list)
    fields: dict[str, Any] = field(default_factory=dict)


class _Malformed(Exception):
    """The body is not JSON (or not the shape of a batch); the message says where."""


def read_batch(body: IO[bytes], limits: Limits) -> JsonBatch:
    """Read `{"documents": [{"name": …, "text": …}, …], …options}` from `body`, refusing (413) at the
    first document past a limit and (422) at the first byte that is not a batch's JSON."""
    reader = _Reader(body)
    try:
        return _Batch(reader, limits).read()
    except _Malformed as exc:
        raise Refused(422, f"body: {exc}") from exc


class _Batch:
    """The top-level object of a batch, read field by field."""

    def __init__(self, reader: _Reader, limits: Limits) -> None:
        self.reader, self.limits = reader, limits
        self.batch = JsonBatch()
        self.total = 0

    def read(self) -> JsonBatch:
        reader = self.reader
        reader.expect(b"{")
        options_left, first = OPTIONS_BYTES, True
        while not reader.take(b"}"):
            if not first:
                reader.expect(b",")
            first = False
            key = reader.key()
            reader.expect(b":")
            if key == "documents":
                if "documents" in self.batch.fields:
                    raise _Malformed("'documents' is given twice")
                self.batch.fields["documents"] = []
                self._documents()
                continue
            try:
                self.batch.fields[key], size = reader.value(options_left, options_left)
            except _TooLarge as exc:
                raise Refused(413, f"the fields besides 'documents' are over {OPTIONS_BYTES:,} bytes") from exc
            options_left -= size
        reader.end()
        return self.batch

    def _documents(self) -> None:
        reader, limits = self.reader, self.limits
        reader.expect(b"[")
        per_document = limits.max_file_bytes + OPTIONS_BYTES  # the text, and its name and any other field
        while not reader.take(b"]"):
            n = len(self.batch.uploads)
            if n:
                reader.expect(b",")
            if n >= limits.max_files:
                raise Refused(413, f"more than {limits.max_files} documents; at most {limits.max_files} per batch")
            try:
                item, _ = reader.value(6 * per_document, per_document)  # an escape is at most 6 bytes a byte
            except _TooLarge as exc:
                raise Refused(413, f"document {n} is over {limits.max_file_bytes:,} bytes, the most per file") from exc
            self._add(n, item)

    def _add(self, n: int, item: Any) -> None:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not isinstance(
                item.get("text"), str):
            raise _Malformed(f"documents.{n}: a document is an object with a string 'name' and a string 'text'")
        upload = Upload(item["name"], item["text"].encode("utf-8"))
        size, limits = len(upload.data), self.limits
        if size > limits.max_file_bytes:
            raise Refused(413, f"document {n} is {size:,} bytes; at most {limits.max_file_bytes:,} per file")
        self.total += size
        if self.total > limits.max_batch_bytes:
            raise Refused(413, f"more than {limits.max_batch_bytes:,} bytes in all; at most "
                               f"{limits.max_batch_bytes:,} per batch")
        self.batch.uploads.append(upload)


class _TooLarge(Exception):
    """One JSON value passed the size its reader allows."""


class _Reader:
    """A window over the body: structural tokens, and one whole value at a time as raw bytes."""

    def __init__(self, body: IO[bytes]) -> None:
        self.body = body
        self.buf = bytearray()
        self.pos = 0  # in buf
        self.consumed = 0  # bytes of the body dropped before buf, for positions in messages
        self.eof = False

    def _fill(self) -> bool:
        """Read another chunk into the buffer; False at the end of the body."""
        if self.eof:
            return False
        chunk = self.body.read(CHUNK_BYTES)
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def _compact(self) -> None:
        if self.pos > CHUNK_BYTES:
            del self.buf[:self.pos]
            self.consumed += self.pos
            self.pos = 0

    def _space(self) -> None:
        while True:
            self.pos = _SPACE.match(self.buf, self.pos).end()  # type: ignore[union-attr]
            if self.pos < len(self.buf) or not self._fill():
                return

    def _where(self) -> str:
        return f"at byte {self.consumed + self.pos:,}"

    def take(self, token: bytes) -> bool:
        """Consume `token` (after white space) if it comes next."""
        self._compact()
        self._space()
        if self.buf[self.pos:self.pos + 1] == token:
            self.pos += 1
            return True
        return False

    def expect(self, token: bytes) -> None:
        if not self.take(token):
            found = self.buf[self.pos:self.pos + 1].decode("latin-1") or "the end of the body"
            raise _Malformed(f"Invalid JSON: expected {token.decode()!r}, found {found!r} {self._where()}")

    def end(self) -> None:
        self._space()
        if self.pos < len(self.buf):
            raise _Malformed(f"Invalid JSON: more after the object {self._where()}")

    def key(self) -> str:
        self._space()
        if self.buf[self.pos:self.pos + 1] != b'"':
            raise _Malformed(f"Invalid JSON: expected a field name {self._where()}")
        try:
            value, _ = self.value(4096, 4096)
        except _TooLarge as exc:
            raise _Malformed(f"a field name is over 4,096 bytes {self._where()}") from exc
        assert isinstance(value, str)
        return value

    def value(self, max_raw: int, max_text: int) -> tuple[Any, int]:
        """The next JSON value, decoded, and its size in the body; _TooLarge once it passes `max_raw`
        bytes or its strings surely hold more than `max_text` (each escape counted at its smallest)."""
        self._compact()
        self._space()
        start = self.pos
        end = self._end_of_value(start, max_raw, max_text)
        try:
            decoded = json.loads(bytes(self.buf[start:end]))
        except (ValueError, RecursionError) as exc:
            raise _Malformed(f"Invalid JSON {self._where()}: {str(exc).split(':')[0]}") from exc
        self.pos = end
        return decoded, end - start

    def _end_of_value(self, start: int, max_raw: int, max_text: int) -> int:
        """Where the value that starts at `start` ends: strings skipped escape by escape, brackets counted."""
        depth, i, escapes = 0, start, 0
        while True:
            _check_size(i - start, escapes, max_raw, max_text)
            if i >= len(self.buf) and not self._fill():
                raise _Malformed(f"Invalid JSON: the body ends inside a value {self._where()}")
            char = self.buf[i]
            if char == _QUOTE:
                i, escapes = self._end_of_string(i + 1, start, escapes, max_raw, max_text)
            elif char in _OPENING:
                depth, i = depth + 1, i + 1
            elif char in _CLOSING:
                depth, i = depth - 1, i + 1
                if depth < 0:
                    raise _Malformed(f"Invalid JSON: unexpected {chr(char)!r} {self._where()}")
            elif depth == 0:
                return self._end_of_scalar(i)
            else:  # a number, a literal, a comma or a colon inside a container: on to the next string or bracket
                found = _STRUCTURE.search(self.buf, i)
                i = found.start() if found else len(self.buf)
                continue
            if depth == 0:
                return i

    def _end_of_string(self, i: int, start: int, escapes: int, max_raw: int, max_text: int) -> tuple[int, int]:
        """The index after the closing quote of the string whose body starts at `i`, and the escapes so far."""
        while True:
            found = _IN_STRING.search(self.buf, i)
            if found is None:
                i = len(self.buf)
                _check_size(i - start, escapes, max_raw, max_text)
                if not self._fill():
                    raise _Malformed(f"Invalid JSON: the body ends inside a string {self._where()}")
                continue
            i = found.start()
            if self.buf[i] == _QUOTE:
                return i + 1, escapes
            if i + 2 > len(self.buf):
                self._fill()
            i, escapes = i + 2, escapes + 1

    def _end_of_scalar(self, i: int) -> int:
        while len(self.buf) - i < 400 and self._fill():
            pass
        found = _SCALAR.match(self.buf, i)
        if found is None:
            raise _Malformed(f"Invalid JSON: expected a value {self._where()}")
        return found.end()


def _check_size(raw: int, escapes: int, max_raw: int, max_text: int) -> None:
    """A value's size so far against its limits; what it decodes to is at least its raw bytes less five an escape."""
    if raw > max_raw or raw - 5 * escapes > max_text:
        raise _TooLarge
