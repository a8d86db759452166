"""Event streams on a real server: a hundred of them open leave plain requests as quick as with
none, they all hear their batch end, and beyond a bound per client and in all they get a 429.

Each stream used to hold a thread of the pool for up to 15 s; 39 of them took every thread,
and `GET /api/batches` waited 10 to 20 s. The latency here is compared with the same request
in the same run with no stream open, never with a number of seconds.
"""

from __future__ import annotations

import re
import socket
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import SEEDS, served
from verifier import pipeline
from verifier.service import BatchService, Limits
from verifier.web import create_app

pytestmark = pytest.mark.block_network(allowed_hosts=["127.0.0.1", "127.0.0.2"])

STREAMS = 100
WAIT = 120.0  # seconds before a stream that never answers fails the test (a stall, not a speed)


@contextmanager
def _held_batch(home: Path, limits: Limits | None = None) -> Iterator[tuple[str, str, threading.Event]]:
    """A server with one batch held running until the event is set: (base URL, job id, the event)."""
    gate = threading.Event()
    real = pipeline.extract.extract_documents

    def held(documents, **kwargs):  # type: ignore[no-untyped-def]
        admit = kwargs["admit"]
        kwargs["admit"] = lambda doc: gate.wait(10 * WAIT) and admit(doc)  # held for the whole test
        return real(documents, **kwargs)

    pipeline.extract.extract_documents = held  # type: ignore[assignment]
    service = BatchService(home=home, limits=limits)
    service.start()
    try:
        with served(create_app(home=home, service=service)) as base:
            files = [("files", (p.name, p.read_bytes())) for p in sorted(SEEDS.iterdir())]
            job = httpx.post(f"{base}/api/batches", files=files, data={"backend": "rules"}).json()
            deadline = time.monotonic() + WAIT
            while httpx.get(f"{base}{job['url']}").json()["status"] != "running":
                assert time.monotonic() < deadline, "the batch did not start"
                time.sleep(0.05)
            yield base, job["id"], gate
    finally:
        gate.set()
        pipeline.extract.extract_documents = real  # type: ignore[assignment]
        service.close()


def _open_stream(base: str, job_id: str, source: str = "127.0.0.1") -> socket.socket:
    host, port = base.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=WAIT, source_address=(source, 0))
    sock.sendall(f"GET /api/batches/{job_id}/events HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    return sock


def _read_until(sock: socket.socket, marker: bytes) -> bytes:
    """What the socket sends until `marker` (a regular expression) is found in it."""
    seen = b""
    deadline = time.monotonic() + WAIT
    while not re.search(marker, seen):
        assert time.monotonic() < deadline, seen[-200:]
        chunk = sock.recv(65536)
        assert chunk, f"the stream closed before {marker!r}: {seen[-200:]!r}"
        seen += chunk
    return seen


def _latencies(base: str, path: str, n: int = 7) -> list[float]:
    with httpx.Client(base_url=base, timeout=WAIT) as client:
        client.get(path)  # a warm connection: what is timed is the server's answer
        times = []
        for _ in range(n):
            started = time.perf_counter()
            assert client.get(path).status_code == 200
            times.append(time.perf_counter() - started)
    return times


def test_a_hundred_open_streams_leave_plain_requests_as_quick_and_all_hear_the_end(verifier_home: Path) -> None:
    with _held_batch(verifier_home) as (base, job_id, gate):
        alone = {path: max(_latencies(base, path)) for path in ("/api/batches", "/api/flags", "/batches")}
        streams = [_open_stream(base, job_id) for _ in range(STREAMS)]
        try:
            for sock in streams:  # every stream is open and has had its first event
                assert b"200 OK" in _read_until(sock, b"event: progress")
            with_streams = {path: statistics.median(_latencies(base, path)) for path in alone}
            gate.set()
            ends = [_read_until(sock, b"event: end\ndata: [^\n]*\n\n") for sock in streams]
        finally:
            for sock in streams:
                sock.close()
    for path, quick in alone.items():  # the same request, the same run: 100 idle streams cost it nothing
        assert with_streams[path] < 20 * quick, (path, with_streams[path], quick)
    assert all(b'"status": "done"' in end for end in ends)


def test_streams_beyond_the_bound_per_client_and_in_all_get_a_429(verifier_home: Path) -> None:
    limits = Limits(max_streams=3, max_streams_per_client=2)
    with _held_batch(verifier_home, limits) as (base, job_id, _):
        first = [_open_stream(base, job_id) for _ in range(2)]
        for sock in first:
            _read_until(sock, b"event: progress")
        one_more = httpx.get(f"{base}/api/batches/{job_id}/events", timeout=WAIT)
        assert one_more.status_code == 429 and "2 event streams are open from this client" in one_more.json()["detail"]
        other = _open_stream(base, job_id, source="127.0.0.2")  # another client: the third stream in all
        _read_until(other, b"event: progress")
        refused = _read_until(_open_stream(base, job_id, source="127.0.0.2"), b"}")
        assert b" 429 " in refused and b"3 event streams are open, the most this server keeps" in refused
        first[0].close()  # a stream that ends frees its place (once the server sees the client leave)
        deadline = time.monotonic() + WAIT
        while True:
            reopened = _open_stream(base, job_id)
            answer = _read_until(reopened, b"\r\n\r\n")
            reopened.close()
            if b" 200 " in answer:
                break
            assert time.monotonic() < deadline, "the closed stream's place was never freed"
            time.sleep(0.1)
        for sock in (first[1], other):
            sock.close()
