"""Benchmark: /predict and /health latency with no database, and with one that acks each insert after 300 ms.

A benchmark, not a test: it prints figures for the pages and asserts nothing. From the repository root:

    .venv/bin/python examples/ml-service/benchmarks/bench_slow_db.py --seconds 15 --clients 32

It trains the model into a temporary folder, starts uvicorn as the image does (one process) on 127.0.0.1,
drives /predict from N concurrent clients (threads with keep-alive connections) for a bounded time while one
more client calls /health every 100 ms, and prints p50/p90/p99 for both. Then it repeats with MONGO_URL
pointing at a mockupdb stub (mongo_stub.py) that acks every insert after --delay seconds.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

EXAMPLE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(EXAMPLE_DIR))

from benchmarks.mongo_stub import MongoStub  # noqa: E402
from training.train import train  # noqa: E402

BODY = (EXAMPLE_DIR / "requests" / "predict.json").read_bytes()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def start_server(artifacts: Path, mongo_url: str | None) -> tuple[subprocess.Popen, int, socket.socket]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(512)
    env = dict(os.environ, MODEL_DIR=str(artifacts), LOG_LEVEL="WARNING")
    env.pop("MONGO_URL", None)
    if mongo_url:
        env["MONGO_URL"] = mongo_url
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app.main:app", "--fd", str(listener.fileno()), "--no-access-log"],
        cwd=EXAMPLE_DIR, env=env, pass_fds=[listener.fileno()],
    )
    port = listener.getsockname()[1]
    for _ in range(300):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return process, port, listener
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("uvicorn did not start")


def run_load(port: int, clients: int, seconds: float) -> dict:
    stop = time.monotonic() + seconds
    predict: list[float] = []
    health: list[float] = []
    errors = 0
    lock = threading.Lock()

    def predict_client() -> None:
        nonlocal errors
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine = []
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                connection.request("POST", "/predict", BODY, {"Content-Type": "application/json"})
                response = connection.getresponse()
                response.read()
                ok = response.status == 200
            except OSError:
                ok = False
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            mine.append(time.perf_counter() - started)
            if not ok:
                with lock:
                    errors += 1
        with lock:
            predict.extend(mine)

    def health_client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop:
            started = time.perf_counter()
            connection.request("GET", "/health")
            connection.getresponse().read()
            health.append(time.perf_counter() - started)
            time.sleep(0.1)

    threads = [threading.Thread(target=predict_client) for _ in range(clients)]
    threads.append(threading.Thread(target=health_client))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "requests": len(predict),
        "errors": errors,
        "rps": round(len(predict) / seconds),
        "predict_p50_ms": round(percentile(predict, 0.50), 1),
        "predict_p90_ms": round(percentile(predict, 0.90), 1),
        "predict_p99_ms": round(percentile(predict, 0.99), 1),
        "health_p50_ms": round(percentile(health, 0.50), 1),
        "health_p99_ms": round(percentile(health, 0.99), 1),
        "health_max_ms": round(max(health) * 1000, 1),
    }


def ready(port: int) -> dict:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", "/ready")
    return json.loads(connection.getresponse().read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--delay", type=float, default=0.3, help="seconds before the stub acks an insert")
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as artifacts:
        train(Path(artifacts))
        for name in ("no database", f"database acking after {args.delay * 1000:.0f} ms"):
            stub = MongoStub("slow", delay_s=args.delay) if name != "no database" else None
            uri = stub.start() if stub else None
            process, port, listener = start_server(Path(artifacts), uri)
            try:
                results[name] = run_load(port, args.clients, args.seconds)
                if stub:
                    results[name]["ready"] = ready(port)
            finally:
                process.terminate()
                process.wait(timeout=30)
                listener.close()
                if stub:
                    results[name]["inserted_by_stub"] = len(stub.inserted)
                    stub.stop()
    print(json.dumps({"clients": args.clients, "seconds": args.seconds, "cpus": os.cpu_count(), **results}, indent=2))


if __name__ == "__main__":
    main()
