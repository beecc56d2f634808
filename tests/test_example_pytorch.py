"""examples/pytorch-train: a resumed run ends exactly where an uninterrupted one does, checkpoints are
atomic, divergence has its own exit code, and thread pools follow the cgroup CPU quota.

The torch tests need the CPU build of torch (examples/pytorch-train/requirements-cpu.txt). They skip with
a reason on a laptop without it, and fail under CI=true, where `.ci/run` and the Site workflow install it:
a skipped training test in CI would be a green run that tested nothing.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

PYTORCH_DIR = Path(__file__).resolve().parent.parent / "examples" / "pytorch-train"
if str(PYTORCH_DIR) not in sys.path:
    sys.path.insert(0, str(PYTORCH_DIR))

import cpus  # noqa: E402 - needs PYTORCH_DIR on sys.path

try:
    import torch
except ImportError:  # pragma: no cover - depends on the machine
    torch = None

needs_torch = pytest.mark.skipif(
    torch is None and os.environ.get("CI") != "true",
    reason="torch is not installed: pip install --no-deps --index-url https://download.pytorch.org/whl/cpu "
    "-r examples/pytorch-train/requirements-cpu.txt (after examples/pytorch-train/requirements.txt)",
)


def test_ci_has_torch():
    # Under CI a missing torch is a failure, never a skip.
    if os.environ.get("CI") == "true":
        assert torch is not None, "CI must install torch: see .ci/run and .github/workflows/site.yml"


# --- CPU quota (no torch needed) ---------------------------------------------------------------


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="ascii")


@pytest.mark.parametrize(
    ("files", "quota"),
    [
        ({"cpu.max": "150000 100000\n"}, 1.5),  # docker run --cpus 1.5 on cgroup v2
        ({"cpu.max": "max 100000\n"}, None),  # no limit
        ({"cpu/cpu.cfs_quota_us": "200000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 2.0),  # cgroup v1
        ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
        ({}, None),  # no cgroup files at all (macOS, Windows)
    ],
)
def test_cpu_quota_reads_cgroup_v1_and_v2(tmp_path, files, quota):
    for name, text in files.items():
        write(tmp_path / name, text)
    assert cpus.cpu_quota(tmp_path) == quota


def test_usable_cpus_is_the_quota_rounded_down_within_the_affinity(tmp_path, monkeypatch):
    monkeypatch.setattr(cpus, "schedulable_cpus", lambda: 64)
    write(tmp_path / "cpu.max", "150000 100000\n")
    assert cpus.usable_cpus(tmp_path) == 1
    write(tmp_path / "cpu.max", "50000 100000\n")
    assert cpus.usable_cpus(tmp_path) == 1  # half a CPU still runs one thread
    write(tmp_path / "cpu.max", "400000 100000\n")
    assert cpus.usable_cpus(tmp_path) == 4
    monkeypatch.setattr(cpus, "schedulable_cpus", lambda: 2)
    assert cpus.usable_cpus(tmp_path) == 2  # a quota above the CPUs one may run on does not add any
    write(tmp_path / "cpu.max", "max 100000\n")
    assert cpus.usable_cpus(tmp_path) == 2


def test_cpu_count_ignores_affinity_and_process_cpu_count_follows_it():
    # What the page says, on this interpreter: cpu_count is the machine's; affinity is the process's.
    if not hasattr(os, "sched_getaffinity"):
        pytest.skip("no CPU affinity API on this platform")
    original = os.sched_getaffinity(0)
    try:
        os.sched_setaffinity(0, {min(original)})
        assert cpus.schedulable_cpus() == 1
        assert os.cpu_count() >= len(original)
        if hasattr(os, "process_cpu_count"):
            assert os.process_cpu_count() == 1
    finally:
        os.sched_setaffinity(0, original)


# --- Training (torch) -----------------------------------------------------------------------


def run_training(tmp_path: Path, *extra: str, checkpoints: str = "ckpt", output: str = "out") -> int:
    import train

    return train.main(["--checkpoint-dir", str(tmp_path / checkpoints), "--output-dir", str(tmp_path / output),
                       "--samples", "512", "--device", "cpu", *extra])


def final_weights(path: Path) -> dict:
    return torch.load(path / "model.pt", weights_only=True)


@needs_torch
def test_a_resumed_run_ends_where_an_uninterrupted_run_does(tmp_path, capsys):
    assert run_training(tmp_path / "straight", "--epochs", "6") == 0
    # "Interrupted" after epoch 3: the checkpoint is what a killed Pod leaves on its volume.
    assert run_training(tmp_path / "resumed", "--epochs", "3") == 0
    capsys.readouterr()
    assert run_training(tmp_path / "resumed", "--epochs", "6") == 0
    events = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert events[0] == {"event": "resumed", "epoch": 3, "checkpoint": str(tmp_path / "resumed/ckpt/checkpoint.pt")}
    assert [e["epoch"] for e in events if e["event"] == "epoch"] == [4, 5, 6]
    straight, resumed = final_weights(tmp_path / "straight/out"), final_weights(tmp_path / "resumed/out")
    assert straight.keys() == resumed.keys()
    for name in straight:
        assert torch.equal(straight[name], resumed[name]), name
    metrics = json.loads((tmp_path / "resumed/out/metrics.json").read_text())
    assert metrics["epochs"] == 6 and metrics["loss"] < 0.1  # it learnt the linear function


@needs_torch
def test_a_finished_run_started_again_trains_no_further(tmp_path, capsys):
    assert run_training(tmp_path, "--epochs", "2") == 0
    capsys.readouterr()
    assert run_training(tmp_path, "--epochs", "2") == 0
    events = [json.loads(line)["event"] for line in capsys.readouterr().out.splitlines()]
    assert events == ["resumed", "start", "done"]


@needs_torch
def test_dataloader_workers_give_the_same_model(tmp_path):
    # Worker processes pass batches through shared memory; the order still comes from the seeded generator.
    assert run_training(tmp_path / "inline", "--epochs", "2") == 0
    assert run_training(tmp_path / "workers", "--epochs", "2", "--workers", "2") == 0
    inline, workers = final_weights(tmp_path / "inline/out"), final_weights(tmp_path / "workers/out")
    assert all(torch.equal(inline[name], workers[name]) for name in inline)


@needs_torch
def test_divergence_exits_3_and_writes_no_checkpoint(tmp_path, capsys):
    # A learning rate this large overflows to inf/nan within the first epoch.
    assert run_training(tmp_path, "--epochs", "3", "--lr", "1e6") == 3
    assert '"event": "diverged"' in capsys.readouterr().out
    assert list((tmp_path / "ckpt").iterdir()) == []
    assert not (tmp_path / "out").exists()


@needs_torch
def test_a_resumed_run_keeps_the_checkpoints_learning_rate(tmp_path, capsys):
    # The optimizer's state includes its learning rate: resuming continues the run that was stopped.
    assert run_training(tmp_path, "--epochs", "1") == 0
    assert run_training(tmp_path, "--epochs", "2", "--lr", "1e6") == 0
    assert "diverged" not in capsys.readouterr().out


@needs_torch
def test_bad_arguments_exit_2(tmp_path):
    with pytest.raises(SystemExit) as stopped:
        run_training(tmp_path, "--epochs", "0")
    assert stopped.value.code == 2


@needs_torch
def test_threads_follow_omp_num_threads_or_the_quota(monkeypatch):
    import train

    original = torch.get_num_threads()
    try:
        monkeypatch.setenv("OMP_NUM_THREADS", "1")
        assert train.set_threads() == 1 and torch.get_num_threads() == 1
        monkeypatch.delenv("OMP_NUM_THREADS")
        monkeypatch.setattr(train, "usable_cpus", lambda: 2)
        assert train.set_threads() == 2 and torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(original)
