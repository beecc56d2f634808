"""Benchmark: how fast 10 MB and 50 MB bodies are refused, what the reply weighs, and /health meanwhile.

A benchmark, not a test: it prints figures for the pages. From the repository root:

    .venv/bin/python examples/ml-service/benchmarks/bench_big_body.py

It starts uvicorn as the image does on 127.0.0.1, polls /health every 10 ms from a separate process (so the
client's own work cannot delay it), sends each body once with Content-Length and once chunked, and prints the
time to the 413, the reply's size and the server's peak memory (VmHWM) before and after.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_slow_db import start_server  # noqa: E402
from training.train import train  # noqa: E402

HEALTH_POLLER = """
import http.client, sys, time
connection = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]))
times, end = [], time.monotonic() + float(sys.argv[2])
while time.monotonic() < end:
    started = time.perf_counter()
    connection.request("GET", "/health")
    connection.getresponse().read()
    times.append(time.perf_counter() - started)
    time.sleep(0.01)
times.sort()
print(f"/health meanwhile: {len(times)} calls, p50 {times[len(times) // 2] * 1000:.1f} ms, "
      f"p99 {times[int(len(times) * 0.99)] * 1000:.1f} ms, max {times[-1] * 1000:.1f} ms")
"""


def peak_rss_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024


def complete(reply: bytes) -> bool:
    head, separator, body = reply.partition(b"\r\n\r\n")
    lengths = [int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")]
    return bool(separator) and len(body) >= (lengths[0] if lengths else 0)


def send(port: int, body: bytes, chunked: bool) -> tuple[bytes, float]:
    head = b"POST /predict HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
    if chunked:
        head += b"Transfer-Encoding: chunked\r\n\r\n"
        payload = b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
    else:
        head += b"Content-Length: %d\r\n\r\n" % len(body)
        payload = body
    sock = socket.create_connection(("127.0.0.1", port))
    started = time.perf_counter()

    def upload() -> None:
        try:
            sock.sendall(head + payload)
        except OSError:
            pass  # the server answered and closed the connection: the rest of the body is not wanted

    uploader = threading.Thread(target=upload)
    uploader.start()
    reply = b""
    sock.settimeout(30)
    while not complete(reply):
        try:
            chunk = sock.recv(65536)
        except OSError:
            break
        if not chunk:
            break
        reply += chunk
    elapsed = time.perf_counter() - started
    sock.close()
    uploader.join()
    return reply, elapsed


def main() -> None:
    # A bad batch as big as asked for: the 422 path would have echoed every instance back.
    bodies = {mb: b'{"instances": [' + b'{"sepal_length": "x"},' * (mb * 1024 * 1024 // 22) + b"{}]}" for mb in (10, 50)}
    with tempfile.TemporaryDirectory() as artifacts:
        train(Path(artifacts))
        process, port, listener = start_server(Path(artifacts), None)
        try:
            print(f"peak memory before: {peak_rss_mb(process.pid):.0f} MB")
            poller = subprocess.Popen([sys.executable, "-c", HEALTH_POLLER, str(port), "6"])
            time.sleep(0.5)
            for mb, body in bodies.items():
                for chunked in (False, True):
                    reply, elapsed = send(port, body, chunked)
                    status = reply.split(b" ", 2)[1].decode() if reply else "no reply"
                    framing = "chunked" if chunked else "Content-Length"
                    print(f"{mb} MB, {framing}: {status} in {elapsed * 1000:.0f} ms, reply {len(reply)} bytes")
            poller.wait()
            print(f"peak memory after: {peak_rss_mb(process.pid):.0f} MB")
        finally:
            process.terminate()
            process.wait(timeout=30)
            listener.close()


if __name__ == "__main__":
    main()
