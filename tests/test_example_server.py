"""The example API as its image runs it (uvicorn, one process) on 127.0.0.1: large bodies and schemathesis.

These need a real server and real sockets: the TestClient never streams a body, and it shares the test's
process, so neither the event loop nor memory could be observed.
"""

from __future__ import annotations

import os
import select
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from example_fixtures import EXAMPLE_DIR, example_artifacts  # noqa: F401 - fixture

TEN_MB = 10 * 1024 * 1024


@pytest.fixture(scope="module")
def server(example_artifacts):  # noqa: F811
    """uvicorn on a socket the test bound (port 0: the OS picks a free port), like the image's CMD."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    env = dict(os.environ, MODEL_DIR=str(example_artifacts), LOG_LEVEL="WARNING")
    env.pop("MONGO_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--fd", str(listener.fileno()), "--no-access-log"],
        cwd=EXAMPLE_DIR, env=env, pass_fds=[listener.fileno()], stderr=subprocess.PIPE, text=True,
    )
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base + "/health", timeout=1)
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start: {process.stderr.read()}") from None
            time.sleep(0.2)
    yield process, base, listener.getsockname()[1]
    process.terminate()
    _, stderr = process.communicate(timeout=10)
    listener.close()
    # Nothing the tests sent may produce a traceback or an error line in the server's log.
    assert "Traceback" not in stderr and "ERROR" not in stderr, stderr


def read_response(sock: socket.socket, timeout_s: float = 5) -> bytes:
    """One HTTP response: the headers and as many bytes as its Content-Length says."""
    sock.settimeout(timeout_s)
    data = b""
    while True:
        head, separator, rest = data.partition(b"\r\n\r\n")
        if separator:
            length = next((int(line.split(b":")[1]) for line in head.split(b"\r\n")
                           if line.lower().startswith(b"content-length:")), 0)
            if len(rest) >= length:
                return data
        try:
            chunk = sock.recv(65536)
        except (ConnectionResetError, TimeoutError):
            return data
        if not chunk:
            return data
        data += chunk


def peak_rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))


def health_ok(base: str) -> bool:
    with urllib.request.urlopen(base + "/health", timeout=2) as response:  # the liveness probe's timeout
        return response.status == 200


def test_a_declared_10_mb_body_gets_413_before_it_is_sent(server):
    _, base, port = server
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % TEN_MB)
        # Not one byte of the body is sent: the answer can only come from the Content-Length header.
        assert health_ok(base), "/health answers while the large request is open"
        reply = read_response(sock)
    assert reply.startswith(b"HTTP/1.1 413 "), reply[:200]
    assert len(reply) < 400, len(reply)


def test_a_streamed_body_is_cut_off_at_the_limit(server):
    _, base, port = server
    chunk = b"4000\r\n" + b" " * 0x4000 + b"\r\n"  # 16 KiB of JSON whitespace per chunk
    sent = 0
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        try:
            while sent < TEN_MB and not select.select([sock], [], [], 0)[0]:
                sock.sendall(chunk)
                sent += 0x4000
        except (BrokenPipeError, ConnectionResetError):
            pass
        assert health_ok(base)
        reply = read_response(sock)
    assert reply.startswith(b"HTTP/1.1 413 "), reply[:200]
    # The server stopped reading after 64 KiB; what got further sat in the kernel's socket buffers.
    assert sent < TEN_MB, "the whole 10 MB body was accepted before the answer"


def test_memory_stays_flat_with_50_mb_bodies(server):
    process, _, port = server
    before = peak_rss_kb(process.pid)
    body = b" " * (50 * 1024 * 1024)
    for framing in (b"Content-Length: %d\r\n" % len(body), b"Transfer-Encoding: chunked\r\n"):
        with socket.create_connection(("127.0.0.1", port)) as sock:
            sock.sendall(b"POST /predict HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
                         + framing + b"\r\n")
            payload = body if b"Content-Length" in framing else b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
            try:
                sock.sendall(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass
            assert read_response(sock).startswith(b"HTTP/1.1 413 ")
    grown_mb = (peak_rss_kb(process.pid) - before) / 1024
    assert grown_mb < 20, f"peak memory grew {grown_mb:.0f} MB for a body the server refuses"


@pytest.mark.skipif(shutil.which("schemathesis", path=os.path.dirname(sys.executable)) is None,
                    reason="schemathesis is not installed (pip install -r requirements-dev.txt)")
def test_schemathesis_finds_no_failure(server, tmp_path):
    _, base, _ = server
    command = [os.path.join(os.path.dirname(sys.executable), "schemathesis"), "run", base + "/openapi.json",
               "--checks", "all", "--max-examples", "40", "--seed", "13", "--no-color",
               "--generation-database", "none"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
