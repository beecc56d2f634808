"""Train a small PyTorch model with checkpoints, so a stopped run resumes where it stopped.

The data is generated from a seed (a noisy linear function), so a run needs no download and gives the
same result everywhere. What matters here is the pattern a real training container needs:

- a checkpoint after every epoch, written atomically to a mounted volume (--checkpoint-dir);
- on start, resume from that checkpoint if there is one; a finished run only rewrites its artifacts;
- artifacts (model weights, metrics) to a second volume (--output-dir) at the end;
- exit codes a Job can act on: 0 done, 1 crashed (a retry may help), 2 bad arguments, 3 diverged;
- thread pools sized from the container's CPU quota, not from the host's CPU count.

Run:  python train.py --checkpoint-dir ckpt --output-dir out --epochs 10
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from cpus import usable_cpus

EXIT_DIVERGED = 3
CHECKPOINT = "checkpoint.pt"
FEATURES = 8


def log(event: str, **fields) -> None:
    # One JSON object per line on stdout: `docker logs` and `kubectl logs` show it, log collectors parse it.
    print(json.dumps({"event": event, **fields}), flush=True)


def make_data(seed: int, samples: int) -> TensorDataset:
    generator = torch.Generator().manual_seed(seed)
    features = torch.randn(samples, FEATURES, generator=generator)
    weights = torch.randn(FEATURES, 1, generator=generator)
    target = features @ weights + 0.1 * torch.randn(samples, 1, generator=generator)
    return TensorDataset(features, target)


def make_model(seed: int) -> nn.Module:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(FEATURES, 32), nn.ReLU(), nn.Linear(32, 1))


def save_atomically(obj, path: Path) -> None:
    """torch.save to a temporary file, then rename: a kill mid-write never leaves a truncated checkpoint."""
    partial = path.with_name(f".{path.name}.partial")
    torch.save(obj, partial)
    os.replace(partial, path)


def set_threads() -> int:
    # An explicit OMP_NUM_THREADS wins; otherwise size torch's pool from the quota, not the host's CPUs.
    threads = int(os.environ.get("OMP_NUM_THREADS", "0")) or usable_cpus()
    torch.set_num_threads(threads)
    return threads


def train(args: argparse.Namespace) -> int:
    device = torch.device("cuda" if args.device == "auto" and torch.cuda.is_available() else
                          "cpu" if args.device == "auto" else args.device)
    threads = set_threads()
    model = make_model(args.seed).to(device)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr)
    loss_fn = nn.MSELoss()
    data = make_data(args.seed, args.samples)

    args.checkpoint_dir.mkdir(parents=True, exist_ok=True)
    checkpoint_path = args.checkpoint_dir / CHECKPOINT
    start_epoch, loss_value = 0, math.nan
    if checkpoint_path.exists():
        # weights_only=True: only tensors, plain values and allow-listed types are unpickled, which closes
        # the usual code-execution route of a tampered checkpoint (a restriction, not a sandbox).
        state = torch.load(checkpoint_path, map_location=device, weights_only=True)
        model.load_state_dict(state["model"])
        # The optimizer's state includes its learning rate: a resumed run continues the stopped one, and a
        # different --lr takes effect only in a new run (a new --checkpoint-dir).
        optimizer.load_state_dict(state["optimizer"])
        start_epoch, loss_value = state["epoch"], state["loss"]
        log("resumed", epoch=start_epoch, checkpoint=str(checkpoint_path))
    log("start", device=str(device), threads=threads, torch=torch.__version__, epochs=args.epochs,
        first_epoch=start_epoch + 1, workers=args.workers)

    for epoch in range(start_epoch, args.epochs):
        started = time.monotonic()
        # The shuffle order depends on the seed and the epoch only, so a resumed run sees the same batches.
        loader = DataLoader(data, batch_size=args.batch_size, shuffle=True, num_workers=args.workers,
                            generator=torch.Generator().manual_seed(args.seed + epoch))
        total = 0.0
        for features, target in loader:
            features, target = features.to(device), target.to(device)
            optimizer.zero_grad()
            loss = loss_fn(model(features), target)
            loss.backward()
            optimizer.step()
            total += loss.item() * len(features)
        loss_value = total / len(data)
        if not math.isfinite(loss_value):
            # Retrying the same data, seed and learning rate diverges again: a distinct, non-retryable code.
            log("diverged", epoch=epoch + 1, loss=str(loss_value))
            return EXIT_DIVERGED
        save_atomically({"epoch": epoch + 1, "loss": loss_value, "model": model.state_dict(),
                         "optimizer": optimizer.state_dict()}, checkpoint_path)
        log("epoch", epoch=epoch + 1, loss=round(loss_value, 6), seconds=round(time.monotonic() - started, 3))

    args.output_dir.mkdir(parents=True, exist_ok=True)
    save_atomically(model.state_dict(), args.output_dir / "model.pt")
    metrics = {"epochs": args.epochs, "loss": loss_value, "seed": args.seed, "torch": torch.__version__}
    (args.output_dir / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf-8")
    log("done", output=str(args.output_dir), loss=loss_value)
    return 0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint-dir", type=Path, required=True)
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--lr", type=float, default=0.05)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--samples", type=int, default=4096)
    parser.add_argument("--seed", type=int, default=0)
    # DataLoader worker processes hand batches to the trainer through shared memory (/dev/shm).
    parser.add_argument("--workers", type=int, default=0)
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    args = parser.parse_args(argv)
    if args.epochs < 1 or args.batch_size < 1 or args.samples < 1 or args.workers < 0:
        parser.error("--epochs, --batch-size and --samples must be positive, --workers not negative")
    return args


def main(argv: list[str] | None = None) -> int:
    return train(parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
