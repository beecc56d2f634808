"""Every Dockerfile, Compose file, Kubernetes manifest and workflow in the repository passes the same checks
scripts/build.py applies to the fences on the site: the snippets modules run on whole files.

Nothing is skipped silently: each YAML file must be recognised as the kind its place says it is
(a compose*.yaml as Compose, a file under k8s/ as Kubernetes, .github/workflows/* as a workflow),
so a file the schema check would not recognise fails here instead of passing unchecked.
"""
from __future__ import annotations

from pathlib import Path

import pytest
from build_helpers import ROOT

from scripts.snippets import dockerfile, yaml as yaml_check
from scripts.snippets.base import Context, fence_from_file

EXAMPLES = ROOT / "examples"
DOCKERFILES = sorted(p for p in EXAMPLES.rglob("*") if p.is_file() and (
    p.name.startswith("Dockerfile") or p.suffix == ".Dockerfile"))
YAML_FILES = sorted(p for base in (EXAMPLES, ROOT / ".github") for p in base.rglob("*")
                    if p.is_file() and p.suffix in (".yaml", ".yml"))


def expected_kind(path: Path) -> str | None:
    rel = path.relative_to(ROOT).as_posix()
    if path.name.startswith(("compose", "docker-compose")):
        return "compose"
    if "/k8s/" in f"/{rel}":
        return "kubernetes"
    if rel.startswith(".github/workflows/"):
        return "workflow"
    return None


def _ids(paths):
    return [p.relative_to(ROOT).as_posix() for p in paths]


def _messages(ctx):
    return "\n".join(f.text() for _, f in ctx.hits)


@pytest.mark.parametrize("path", DOCKERFILES, ids=_ids(DOCKERFILES))
def test_dockerfile_is_hadolint_clean(path, tmp_path):
    ctx = Context(ROOT, tmp_path)
    dockerfile.check(ctx, [fence_from_file(path, ROOT, "dockerfile")])
    assert ctx.hits == [], _messages(ctx)


@pytest.mark.parametrize("path", YAML_FILES, ids=_ids(YAML_FILES))
def test_yaml_file_passes_parse_yamllint_and_its_schema(path, tmp_path):
    ctx = Context(ROOT, tmp_path)
    fence = fence_from_file(path, ROOT, "yaml")
    yaml_check.check(ctx, [fence])
    assert ctx.hits == [], _messages(ctx)
    want = expected_kind(path)
    if want is not None:
        import yaml as pyyaml

        docs = [d for d in pyyaml.load_all(fence.text, Loader=yaml_check.Yaml12Loader) if d is not None]
        kinds = {yaml_check.kind_of(d) for d in docs}
        assert kinds == {want}, f"{path.name} should be checked as {want}, but reads as {kinds}"


def test_there_is_something_to_check():
    kinds = {expected_kind(p) for p in YAML_FILES}
    assert DOCKERFILES, "no Dockerfile under examples/"
    assert {"compose", "kubernetes", "workflow"} <= kinds, kinds


# The LLM example's files, by the kind each must be checked as (issue 11): a file that moved or stopped
# reading as its kind would otherwise drop out of the parametrized checks above without a failure.
LLM_EXAMPLE_FILES = {
    "examples/llm/compose.yaml": "compose",
    "examples/llm/compose.vllm.yaml": "compose",
    "examples/llm/k8s/vllm.yaml": "kubernetes",
    "examples/gpu-sharing/k8s/time-slicing-config.yaml": "kubernetes",
}


def test_llm_example_files_are_checked_as_their_kind():
    checked = {p.relative_to(ROOT).as_posix(): expected_kind(p) for p in YAML_FILES}
    assert {rel: checked.get(rel) for rel in LLM_EXAMPLE_FILES} == LLM_EXAMPLE_FILES
    assert ROOT / "examples" / "llm" / "Dockerfile" in DOCKERFILES


# --- Jobs and CronJobs: what the schema cannot check ------------------------------------------------
# The API server rejects a podFailurePolicy without restartPolicy: Never, and nothing but a test notices when
# a manifest's exit codes or shard count drift from the code they describe.

JOB_FILES = {
    "examples/ml-service/k8s/jobs/batch-score-cronjob.yaml": ("app.batch", ["EXIT_USAGE", "EXIT_BAD_INPUT",
                                                                           "EXIT_NO_MODEL"]),
    "examples/pytorch-train/k8s/train-job.yaml": (None, None),
}


def _job_specs(path: Path):
    import yaml as pyyaml

    for doc in pyyaml.safe_load_all(path.read_text(encoding="utf-8")):
        if doc and doc["kind"] == "Job":
            yield doc["spec"]
        elif doc and doc["kind"] == "CronJob":
            yield doc["spec"]["jobTemplate"]["spec"]


@pytest.mark.parametrize("rel", sorted(JOB_FILES))
def test_job_manifests_are_consistent_with_their_code(rel):
    specs = list(_job_specs(ROOT / rel))
    assert specs, f"{rel} holds no Job"
    for spec in specs:
        pod = spec["template"]["spec"]
        if "podFailurePolicy" in spec:
            assert pod["restartPolicy"] == "Never", "podFailurePolicy requires restartPolicy: Never"
        container = pod["containers"][0]
        env = {item["name"]: item.get("value") for item in container.get("env", [])}
        if spec.get("completionMode") == "Indexed" and "SHARD_COUNT" in env:
            assert int(env["SHARD_COUNT"]) == spec["completions"], "SHARD_COUNT must equal completions"
        fail_codes = [code for rule in spec.get("podFailurePolicy", {}).get("rules", [])
                      if rule["action"] == "FailJob" for code in rule["onExitCodes"]["values"]]
        module, names = JOB_FILES[rel]
        if module is not None:
            import sys

            sys.path.insert(0, str(EXAMPLES / "ml-service"))
            try:
                import importlib

                code = importlib.import_module(module)
            finally:
                sys.path.remove(str(EXAMPLES / "ml-service"))
            assert sorted(fail_codes) == sorted(getattr(code, name) for name in names)
        else:
            # train.py: 2 is argparse's usage error, 3 its EXIT_DIVERGED constant.
            source = (EXAMPLES / "pytorch-train" / "train.py").read_text(encoding="utf-8")
            assert "EXIT_DIVERGED = 3" in source and sorted(fail_codes) == [2, 3]
