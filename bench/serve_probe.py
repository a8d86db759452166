"""The figures of issue 15's "done when", measured on a real `verifier serve` on loopback.

    python bench/serve_probe.py [--streams 100] [--line-mb 15] [--json-mb 207] [--json]

1. A batch of one 15 MB line of a repeated figure sentence runs; `GET /api/batches` is
   timed with no event stream open, then with `--streams` streams open on that batch.
2. The batch is cancelled while that document is read: seconds until it says `cancelled`.
3. A fresh server is sent `--json-mb` of JSON holding tiny documents (about 27 bytes
   each, so millions of them): its answer, the seconds it took, and the server's peak RSS
   (VmHWM, from /proc) before and after.

Every request goes to 127.0.0.1 only, each loop is bounded in count and time, and the
servers are stopped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

WAIT = 300.0
SENTENCE = "Acme reported revenue of $4.2 billion in 2025, up 12% from a year earlier. "


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


def _serve(home: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENAI_")}
    env["VERIFIER_HOME"] = str(home)
    server = subprocess.Popen([sys.executable, "-m", "verifier.cli", "serve", "--port", str(port)], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/api/batches", timeout=1)
            return server, base
        except httpx.TransportError:
            time.sleep(0.1)
    server.kill()
    raise SystemExit("the server did not start")


def _stop(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


def _peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return round(int(line.split()[1]) / 1024, 1)
    return float("nan")


def _timed_gets(client: httpx.Client, n: int = 5) -> list[float]:
    times = []
    for _ in range(n):
        started = time.perf_counter()
        client.get("/api/batches").raise_for_status()
        times.append(round(time.perf_counter() - started, 4))
    return times


def _status(client: httpx.Client, url: str) -> str:
    return str(client.get(url).json()["status"])


def streams_and_cancel(line_mb: float, streams: int) -> dict[str, object]:
    """Items 1 and 2: plain requests beside open streams, then a cancel inside the long document."""
    with tempfile.TemporaryDirectory() as home:
        server, base = _serve(Path(home))
        try:
            text = SENTENCE * int(line_mb * 1_000_000 / len(SENTENCE)) + "\n"
            with httpx.Client(base_url=base, timeout=WAIT) as client:
                job = client.post("/api/batches", files=[("files", ("line.txt", text.encode()))],
                                  data={"backend": "rules"}).raise_for_status().json()
                deadline = time.monotonic() + WAIT
                while _status(client, job["url"]) != "running":
                    assert time.monotonic() < deadline, "the batch did not start"
                    time.sleep(0.05)
                time.sleep(2)  # into the document: ingest is done, the rules are reading it
                alone = _timed_gets(client)
                host, port = base.removeprefix("http://").split(":")
                opened = []
                for _ in range(streams):
                    sock = socket.create_connection((host, int(port)), timeout=WAIT)
                    sock.sendall(f"GET {job['events_url']} HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
                    opened.append(sock)
                for sock in opened:
                    _read_until(sock, b"event: progress")
                beside = _timed_gets(client)
                started = time.monotonic()
                client.post(f"{job['url']}/cancel").raise_for_status()
                while (status := _status(client, job["url"])) not in ("cancelled", "done", "failed"):
                    assert time.monotonic() - started < WAIT, "the cancel never landed"
                    time.sleep(0.05)
                cancel_seconds = round(time.monotonic() - started, 2)
                ended = sum(b"event: end" in _read_until(sock, b"event: end") for sock in opened)
                for sock in opened:
                    sock.close()
                final = client.get(job["url"]).json()
        finally:
            _stop(server)
    return {"line_mb": line_mb, "streams": streams, "get_api_batches_s_alone": alone,
            "get_api_batches_s_with_streams": beside, "max_with_streams_s": max(beside),
            "median_with_streams_s": statistics.median(beside), "streams_that_heard_the_end": ended,
            "cancel_s": cancel_seconds, "status_after_cancel": status,
            "documents_done_after_cancel": final["documents_done"]}


def _read_until(sock: socket.socket, marker: bytes) -> bytes:
    seen = b""
    deadline = time.monotonic() + WAIT
    while marker not in seen and time.monotonic() < deadline:
        chunk = sock.recv(65536)
        if not chunk:
            break
        seen += chunk
    return seen


def json_body(json_mb: float) -> dict[str, object]:
    """Item 3: a JSON body of millions of tiny documents, under the body limit."""
    item = b'{"name":"a.md","text":"x"}'
    count = int(json_mb * 1_000_000 / (len(item) + 1))
    body = b'{"backend": "rules", "documents": [' + b",".join([item] * count) + b"]}"
    with tempfile.TemporaryDirectory() as home:
        server, base = _serve(Path(home))
        try:
            before = _peak_rss_mb(server.pid)
            started = time.monotonic()
            answer = httpx.post(f"{base}/api/batches", content=body, headers={"content-type": "application/json"},
                                timeout=WAIT)
            seconds = round(time.monotonic() - started, 2)
            after = _peak_rss_mb(server.pid)
            quick = min(_timed_gets(httpx.Client(base_url=base, timeout=WAIT), 3))
        finally:
            _stop(server)
    return {"json_mb": round(len(body) / 1_000_000, 1), "documents": count, "status": answer.status_code,
            "detail": answer.json().get("detail"), "seconds": seconds, "server_peak_rss_mb_before": before,
            "server_peak_rss_mb_after": after, "get_api_batches_s_after": quick}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--streams", type=int, default=100)
    parser.add_argument("--line-mb", type=float, default=15.0)
    parser.add_argument("--json-mb", type=float, default=207.0)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    results = {"streams_and_cancel": streams_and_cancel(args.line_mb, args.streams),
               "json_body": json_body(args.json_mb)}
    if args.json:
        print(json.dumps(results))
        return
    s, j = results["streams_and_cancel"], results["json_body"]
    print(f"GET /api/batches, no stream open: {s['get_api_batches_s_alone']} s")
    print(f"GET /api/batches, {s['streams']} event streams open: {s['get_api_batches_s_with_streams']} s "
          f"(max {s['max_with_streams_s']} s); {s['streams_that_heard_the_end']} streams heard the end")
    print(f"cancel of the {s['line_mb']:g} MB line: {s['status_after_cancel']} after {s['cancel_s']} s "
          f"({s['documents_done_after_cancel']} documents done)")
    print(f"{j['json_mb']} MB JSON body of {j['documents']:,} documents: {j['status']} {j['detail']!r} in "
          f"{j['seconds']} s; server peak RSS {j['server_peak_rss_mb_before']} MB before, "
          f"{j['server_peak_rss_mb_after']} MB after")


if __name__ == "__main__":
    main()
