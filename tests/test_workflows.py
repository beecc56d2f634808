"""Every GitHub workflow and the Dependabot config validate against their published schemas.

check-jsonschema vendors both schemas, so this runs offline."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.y*ml"))


def check_jsonschema(schema: str, *files: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "check_jsonschema", "--builtin-schema", schema, *map(str, files)],
        capture_output=True,
        text=True,
    )


def test_there_are_workflows():
    assert WORKFLOWS, "no workflow files found under .github/workflows"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_matches_github_schema(workflow):
    result = check_jsonschema("vendor.github-workflows", workflow)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dependabot_matches_schema():
    result = check_jsonschema("vendor.dependabot", ROOT / ".github" / "dependabot.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_broken_workflow_is_rejected(tmp_path):
    # Guards against the check passing everything (e.g. a schema name that silently matches nothing).
    broken = tmp_path / "broken.yml"
    broken.write_text("on: push\njobs:\n  build:\n    steps: []\n")
    assert check_jsonschema("vendor.github-workflows", broken).returncode != 0


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_action_is_pinned_to_a_commit(workflow):
    for number, line in enumerate(workflow.read_text().splitlines(), 1):
        match = re.search(r"uses:\s*([^\s#]+)(.*)", line)
        if not match or match.group(1).startswith("./"):
            continue
        ref = match.group(1).rpartition("@")[2]
        assert re.fullmatch(r"[0-9a-f]{40}", ref), f"{workflow.name}:{number}: pin {match.group(1)} to a full commit SHA"
        assert re.search(r"#\s*v\d", match.group(2)), f"{workflow.name}:{number}: add the version as a comment"


def _repository_and_tag(reference: str) -> str:
    return reference.partition("@")[0]


def test_ci_mongo_service_matches_compose():
    # Dependabot updates compose.yaml but not images in workflow files (dependabot-core#5819): when it bumps
    # MongoDB in compose.yaml, this fails on its pull request until the CI service is bumped with it.
    import yaml

    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "example-images.yml").read_text())
    compose = yaml.safe_load((ROOT / "examples" / "ml-service" / "compose.yaml").read_text())
    ci_image = workflow["jobs"]["mongo-tests"]["services"]["mongo"]["image"]
    compose_image = compose["services"]["mongo"]["image"]
    assert _repository_and_tag(ci_image) == _repository_and_tag(compose_image)
    assert re.search(r"@sha256:[0-9a-f]{64}$", ci_image), "pin the CI mongo service by digest"


@pytest.mark.parametrize("workflow", WORKFLOWS, ids=lambda p: p.name)
def test_every_checkout_drops_its_token(workflow):
    # Left in .git/config, the job's token is readable by every later step and whatever it runs.
    import yaml

    for name, job in yaml.safe_load(workflow.read_text())["jobs"].items():
        for step in job.get("steps", []):
            if step.get("uses", "").startswith("actions/checkout@"):
                assert (step.get("with") or {}).get("persist-credentials") is False, (
                    f"{workflow.name}: job {name}: set persist-credentials: false on actions/checkout"
                )


def test_publish_pushes_the_tested_archive_without_building():
    import yaml

    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / "example-images.yml").read_text())["jobs"]
    publish = jobs["publish"]
    uses = [step.get("uses", "") for step in publish["steps"]]
    assert not any(u.startswith("docker/build-push-action@") for u in uses), "publish must not rebuild the image"
    downloaded = [s for s in publish["steps"] if s.get("uses", "").startswith("actions/download-artifact@")]
    uploaded = [s for s in jobs["images"]["steps"] if s.get("uses", "").startswith("actions/upload-artifact@")]
    assert downloaded and uploaded, "publish must receive the images job's tested archive as an artifact"
    assert downloaded[0]["with"]["name"] == uploaded[0]["with"]["name"]
    assert "images" in publish["needs"]
    script = "\n".join(s.get("run", "") for s in publish["steps"])
    assert "--preserve-digests" in script, "push the archive byte for byte"
