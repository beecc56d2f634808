"""How many CPUs may this process use? Three different answers, and the one thread pools should use.

Run inside a container to compare them (the image's entrypoint is train.py, hence --entrypoint):
    docker run --rm --cpus 1.5 --entrypoint python pytorch-train:cpu cpus.py

- os.cpu_count(): the logical CPUs of the machine. A container does not change it.
- os.process_cpu_count() (Python 3.13+) and len(os.sched_getaffinity(0)): the CPUs this process may be
  scheduled on. `docker run --cpuset-cpus` changes it; `--cpus` and Kubernetes CPU limits do not.
- The cgroup CPU quota: how much CPU time per period the container may use, which is what `--cpus` and a
  Kubernetes CPU limit set. Neither function above reads it, so it is read here from /sys/fs/cgroup.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

CGROUP_ROOT = Path("/sys/fs/cgroup")


def cpu_quota(root: Path = CGROUP_ROOT) -> float | None:
    """The cgroup's CPU limit in CPUs (1.5 for `--cpus 1.5`), or None when there is no limit."""
    try:
        # cgroup v2: one file, "<quota> <period>" in microseconds, or "max <period>" for no limit.
        quota, period = (root / "cpu.max").read_text(encoding="ascii").split()
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        # cgroup v1: two files; a quota of -1 means no limit.
        quota_us = int((root / "cpu" / "cpu.cfs_quota_us").read_text(encoding="ascii"))
        period_us = int((root / "cpu" / "cpu.cfs_period_us").read_text(encoding="ascii"))
        return None if quota_us < 0 else quota_us / period_us
    except (OSError, ValueError):
        return None


def schedulable_cpus() -> int:
    """CPUs this process may run on (affinity), which a CPU quota does not change."""
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def usable_cpus(root: Path = CGROUP_ROOT) -> int:
    """Threads worth running: never more than the quota lets run at once, and at least one."""
    quota = cpu_quota(root)
    cpus = schedulable_cpus()
    if quota is None:
        return cpus
    # Rounded down: with --cpus 1.5, a second busy thread would spend part of every period throttled.
    return max(1, min(cpus, math.floor(quota)))


def report() -> dict:
    process_cpu_count = getattr(os, "process_cpu_count", None)
    return {
        "os.cpu_count": os.cpu_count(),
        "os.process_cpu_count": process_cpu_count() if process_cpu_count else "needs Python 3.13+",
        "sched_getaffinity": schedulable_cpus(),
        "cgroup_cpu_quota": cpu_quota(),
        "usable_cpus": usable_cpus(),
    }


if __name__ == "__main__":
    print(json.dumps(report(), indent=2))
