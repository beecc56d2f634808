"""Load-test POST /predict with 1..N uvicorn workers confined to a fixed set of CPUs; print throughput and
latency percentiles per worker count. A benchmark, not a test: it measures, it asserts nothing.

Run from examples/ml-service (after `uv sync` or with requirements.txt installed):
    python -m benchmarks.workers --server-cpus 0,1 --workers 1,2,3,4 --seconds 10

How the CPU limit is applied: the server is started under `taskset -c SERVER_CPUS` (CPU affinity, as
`docker run --cpuset-cpus` sets it), not under a CFS quota (`docker run --cpus`, Kubernetes limits.cpu),
which throttles by time instead; see docs/example/operate.md for why the two differ. The load generator is
pinned with --client-cpus (default: all CPUs not given to the server; when there are none, it shares them
and the figures include its cost). Everything listens on 127.0.0.1, on a port the OS picks.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

EXAMPLE_DIR = Path(__file__).resolve().parent.parent
BODY = (EXAMPLE_DIR / "requests" / "predict.json").read_bytes()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(workers: int, cpus: str, model_dir: Path, port: int) -> subprocess.Popen:
    env = {
        **os.environ,
        "MODEL_DIR": str(model_dir),
        "MONGO_URL": "",
        # One BLAS/OpenMP thread per worker: with N workers on C CPUs, N x C threads only fight each other.
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
    }
    command = [sys.executable, "-m", "uvicorn", "app.main:app", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--log-level", "warning"]
    if cpus:
        command = ["taskset", "-c", cpus, *command]
    server = subprocess.Popen(command, cwd=EXAMPLE_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/ready", timeout=1)
            return server
        except OSError:
            if server.poll() is not None:
                raise RuntimeError(server.stderr.read().decode()) from None
            time.sleep(0.2)
    server.kill()
    raise RuntimeError("server did not become ready in 60 s")


async def one_connection(port: int, stop_at: float, latencies: list[float], errors: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    request = (
        b"POST /predict HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(BODY)}\r\n\r\n".encode() + BODY
    )
    try:
        while time.perf_counter() < stop_at:
            start = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                          if line.lower().startswith(b"content-length:"))
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - start)
            if not head.startswith(b"HTTP/1.1 200"):
                errors.append(1)
    finally:
        writer.close()


async def load(port: int, connections: int, seconds: float) -> tuple[list[float], int, float]:
    latencies: list[float] = []
    errors: list[int] = []
    # Warm-up: first requests pay for imports and caches in each worker; not counted.
    await asyncio.gather(*(one_connection(port, time.perf_counter() + 1.0, [], []) for _ in range(connections)))
    start = time.perf_counter()
    await asyncio.gather(*(one_connection(port, start + seconds, latencies, errors) for _ in range(connections)))
    return latencies, len(errors), time.perf_counter() - start


def rss_mib(pid: int) -> float:
    """Resident memory of the server and all its worker processes, from /proc (Linux)."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(child) for child in children.read_text().split()]
    for each in pids:
        for line in Path(f"/proc/{each}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", default="1,2,3,4", help="comma-separated worker counts")
    parser.add_argument("--server-cpus", default="0,1", help="taskset CPU list for the server ('' for none)")
    parser.add_argument("--client-cpus", default=None, help="taskset CPU list for the load generator")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds per worker count (max 60)")
    parser.add_argument("--json", action="store_true", help="print the results as JSON too")
    args = parser.parse_args()
    if not 0 < args.seconds <= 60 or not 0 < args.connections <= 256:
        parser.error("keep the run bounded: 0 < --seconds <= 60, 0 < --connections <= 256")
    if args.server_cpus and not shutil.which("taskset"):
        parser.error("taskset not found (util-linux); pass --server-cpus '' to run without a CPU limit")

    all_cpus = sorted(os.sched_getaffinity(0))
    server_cpus = {int(c) for c in args.server_cpus.split(",")} if args.server_cpus else set(all_cpus)
    client_cpus = ({int(c) for c in args.client_cpus.split(",")} if args.client_cpus
                   else (set(all_cpus) - server_cpus) or set(all_cpus))
    os.sched_setaffinity(0, client_cpus)
    shared = bool(client_cpus & server_cpus)

    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}, {platform.system()} {platform.release()}")
    print(f"server CPUs {sorted(server_cpus)}, load generator CPUs {sorted(client_cpus)}"
          f"{' (shared: the figures include the generator)' if shared else ''}; "
          f"{args.connections} keep-alive connections, {args.seconds:g} s per run, body {len(BODY)} bytes (3 rows)")
    # Other processes on the machine compete for the same CPUs: the load average says how much they did.
    print("load average (1, 5, 15 min) before: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    print(f"{'workers':>7} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'errors':>6} {'RSS MiB':>8}")

    sys.path.insert(0, str(EXAMPLE_DIR))
    from training.train import train

    results = []
    with tempfile.TemporaryDirectory() as tmp:
        model_dir = Path(tmp)
        train(model_dir)
        for workers in [int(w) for w in args.workers.split(",")]:
            port = free_port()
            server = start_server(workers, args.server_cpus, model_dir, port)
            try:
                latencies, errors, elapsed = asyncio.run(load(port, args.connections, args.seconds))
                memory = rss_mib(server.pid)
            finally:
                server.terminate()
                server.wait(timeout=30)
            cuts = statistics.quantiles(latencies, n=100)
            row = {"workers": workers, "requests_per_s": len(latencies) / elapsed, "p50_ms": cuts[49] * 1000,
                   "p99_ms": cuts[98] * 1000, "errors": errors, "rss_mib": memory, "requests": len(latencies)}
            results.append(row)
            print(f"{workers:>7} {row['requests_per_s']:>8.0f} {row['p50_ms']:>7.1f} {row['p99_ms']:>7.1f} "
                  f"{errors:>6} {memory:>8.0f}")
    print("load average (1, 5, 15 min) after: " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    if args.json:
        print(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
