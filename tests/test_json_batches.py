"""A batch sent as JSON is read with its limits checked as it is read, never parsed whole.

A 28 MB body of 10^6 tiny documents took 1 GB of memory before its 413, and a 207 MB one
5.6 GB. `jsonbatch` reads documents one at a time and stops at the first limit passed; the
server's own peak memory is compared with itself just before the request, not with a number.
"""

from __future__ import annotations

import io
import json
import os
import signal
from pathlib import Path

import httpx
import pytest

from tests.conftest import free_port
from tests.test_serve_http import _serve
from verifier.jsonbatch import read_batch
from verifier.service import Limits, Refused

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1"])
LIMITS = Limits(max_files=3, max_file_bytes=1024, max_batch_bytes=2048)


class _Counted(io.BytesIO):
    """A body that counts what was read of it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.taken = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.taken += len(chunk)
        return chunk


def _read(body: object, limits: Limits = LIMITS) -> tuple[list[tuple[str, str]], dict[str, object]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    batch = read_batch(io.BytesIO(raw), limits)
    return [(u.name, u.data.decode()) for u in batch.uploads], batch.fields


def _refusal(body: bytes, limits: Limits = LIMITS) -> Refused:
    with pytest.raises(Refused) as refused:
        read_batch(io.BytesIO(body), limits)
    assert len(str(refused.value).splitlines()) == 1
    return refused.value


def test_documents_and_options_read_as_json_reads_them() -> None:
    documents = [{"name": "a \"quoted\".md", "text": "Line\nwith \\ escapes, \u00e9, \U0001f600 and \u202e."},
                 {"name": "b.txt", "text": "", "extra": {"nested": [1, 2.5e3, None, True, {"k": "]}"}]}}]
    body = {"backend": "rules", "documents": documents, "concurrency": 2, "unknown": [[[{"x": "y"}]]]}
    uploads, fields = _read(body)
    assert uploads == [(d["name"], d["text"]) for d in documents]
    assert fields == {"backend": "rules", "documents": [], "concurrency": 2, "unknown": [[[{"x": "y"}]]]}
    assert _read(b' \n{ "documents" : [ ] , "paths": ["a/b.txt"] } \n') == ([], {"documents": [], "paths": ["a/b.txt"]})


@pytest.mark.parametrize(("body", "words"), [
    (b"", "expected '{', found 'the end of the body'"),
    (b"[]", "expected '{'"),
    (b'{"documents": [{"name": "a.md", "text": "x"}', "expected ','"),
    (b'{"documents": [{"name": "a.md", "text": "x}]}', "ends inside a string"),
    (b'{"documents": [1]}', "documents.0: a document is an object with a string 'name' and a string 'text'"),
    (b'{"documents": [{"name": "a.md", "text": "x"},]}', "unexpected ']'"),
    (b'{"backend": rules}', "expected a value"),
    (b'{"backend": "rules"} trailing', "more after the object"),
    (b'{"documents": [], "documents": []}', "'documents' is given twice"),
])
def test_a_body_that_is_not_a_batch_is_a_422_that_says_where(body: bytes, words: str) -> None:
    refused = _refusal(body)
    assert refused.status == 422 and str(refused).startswith("body: ") and words in str(refused), str(refused)


def test_reading_stops_at_the_first_document_past_a_limit() -> None:
    many = b'{"documents": [' + b",".join([b'{"name": "a.md", "text": "x"}'] * 100_000) + b"]}"
    body = _Counted(many)
    with pytest.raises(Refused) as refused:
        read_batch(body, LIMITS)
    assert refused.value.status == 413 and str(refused.value) == "more than 3 documents; at most 3 per batch"
    assert body.taken < len(many) // 10  # the rest of the body was never read

    huge = b'{"documents": [{"name": "a.md", "text": "' + b"y" * 5_000_000 + b'"}]}'
    body = _Counted(huge)
    with pytest.raises(Refused) as refused:
        read_batch(body, Limits(max_file_bytes=1024))
    assert refused.value.status == 413 and "document 0 is over 1,024 bytes" in str(refused.value)
    assert body.taken < len(huge) // 2  # refused inside its one string, long before its end

    escaped = {"documents": [{"name": "a.md", "text": "\u00e9" * 600}, {"name": "b.md", "text": "z" * 900}]}
    assert _refusal(json.dumps(escaped).encode()).status == 413  # 1,200 bytes of UTF-8, sent as \\u00e9 escapes
    assert "in all" in str(_refusal(json.dumps({"documents": [{"name": f"{n}.md", "text": "w" * 900}
                                                              for n in range(3)]}).encode()))


def _peak_rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the server's peak memory from /proc")
def test_a_million_tiny_documents_are_refused_without_the_memory_a_parse_would_take(verifier_home: Path) -> None:
    body = b'{"backend": "rules", "documents": [' + b",".join(
        [b'{"name":"a.md","text":"x"}'] * 1_000_000) + b"]}"  # 28 MB, under the body limit
    port = free_port()
    server = _serve(port, {**os.environ, "VERIFIER_HOME": str(verifier_home)})
    try:
        before = _peak_rss_kb(server.pid)
        answer = httpx.post(f"http://127.0.0.1:{port}/api/batches", content=body,
                            headers={"content-type": "application/json"}, timeout=120)
        after = _peak_rss_kb(server.pid)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    assert answer.status_code == 413, answer.text
    assert after - before < 4 * len(body) // 1024, (before, after)  # a parse of it would take 1 GB; this a few MB
    assert answer.json()["detail"] == "more than 500 documents; at most 500 per batch"
