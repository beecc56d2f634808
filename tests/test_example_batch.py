"""The batch scorer (app/batch.py): the same answers as the API, shards that add up to the whole file,
reruns that skip finished shards, and exit codes a Job's podFailurePolicy can act on."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from example_fixtures import EXAMPLE_DIR, example_artifacts, read_json  # noqa: F401 - fixture, sets sys.path

from app import batch  # noqa: E402 - importable once example_fixtures has put the example on sys.path

ROWS_CSV = EXAMPLE_DIR / "requests" / "batch-rows.csv"


def read_output(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def run(args, model_dir, env=None):
    """Run the entry point as the container does, in a fresh interpreter, and return the process."""
    return subprocess.run(
        [sys.executable, "-m", "app.batch", "--model-dir", str(model_dir), *args],
        cwd=EXAMPLE_DIR,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_batch_gives_the_documented_api_answers(tmp_path, example_artifacts):  # noqa: F811
    assert batch.main(["--input", str(ROWS_CSV), "--output-dir", str(tmp_path), "--model-dir",
                       str(example_artifacts)]) == batch.EXIT_OK
    records = read_output(tmp_path / "part-00000-of-00001.jsonl")
    assert [r["row"] for r in records] == list(range(7))
    # The first three rows are requests/predict.json's instances: batch and API must agree exactly.
    expected = read_json("requests/predict.response.json")
    for record, want in zip(records[:3], expected["predictions"], strict=True):
        assert record["model_version"] == expected["model_version"]
        assert {k: record[k] for k in ("label", "class_id", "probabilities")} == want


def test_jsonl_input_scores_like_csv(tmp_path, example_artifacts):  # noqa: F811
    instances = read_json("requests/predict.json")["instances"]
    source = tmp_path / "rows.jsonl"
    source.write_text("".join(json.dumps(row) + "\n" for row in instances), encoding="utf-8")
    assert batch.main(["--input", str(source), "--output-dir", str(tmp_path / "out"), "--model-dir",
                       str(example_artifacts)]) == batch.EXIT_OK
    records = read_output(tmp_path / "out" / "part-00000-of-00001.jsonl")
    assert [r["label"] for r in records] == ["setosa", "versicolor", "virginica"]


def test_shards_from_job_completion_index_cover_every_row_once(tmp_path, example_artifacts):  # noqa: F811
    whole = tmp_path / "whole"
    assert run(["--input", str(ROWS_CSV), "--output-dir", str(whole)], example_artifacts).returncode == 0
    sharded = tmp_path / "sharded"
    for index in range(3):
        # What an Indexed Job with completions: 3 gives its Pods; SHARD_COUNT comes from the manifest.
        done = run(["--input", str(ROWS_CSV), "--output-dir", str(sharded)], example_artifacts,
                   env={"JOB_COMPLETION_INDEX": str(index), "SHARD_COUNT": "3"})
        assert done.returncode == 0, done.stderr
        summary = json.loads(done.stdout)
        assert summary["shard"] == index and summary["shards"] == 3
    parts = sorted(sharded.glob("part-*.jsonl"))
    assert [p.name for p in parts] == [f"part-0000{i}-of-00003.jsonl" for i in range(3)]
    rows = [r for part in parts for r in read_output(part)]
    assert sorted(r["row"] for r in rows) == list(range(7))
    assert sorted(rows, key=lambda r: r["row"]) == read_output(whole / "part-00000-of-00001.jsonl")


def test_a_rerun_skips_a_finished_shard(tmp_path, example_artifacts):  # noqa: F811
    args = ["--input", str(ROWS_CSV), "--output-dir", str(tmp_path), "--model-dir", str(example_artifacts)]
    assert batch.main(args) == batch.EXIT_OK
    target = tmp_path / "part-00000-of-00001.jsonl"
    before = target.stat().st_mtime_ns, target.read_bytes()
    assert batch.main(args) == batch.EXIT_OK
    assert (target.stat().st_mtime_ns, target.read_bytes()) == before


def test_an_invalid_row_fails_with_exit_3_and_leaves_no_shard(tmp_path, example_artifacts):  # noqa: F811
    source = tmp_path / "rows.csv"
    # Row 1 is a millimetre value where centimetres are expected: the API's 422, here a non-retryable exit.
    source.write_text(ROWS_CSV.read_text(encoding="utf-8").replace("6.2,2.9,4.3,1.3", "62,29,43,13"))
    done = run(["--input", str(source), "--output-dir", str(tmp_path / "out")], example_artifacts)
    assert done.returncode == batch.EXIT_BAD_INPUT
    assert "row 1" in done.stderr
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.parametrize("content", ["sepal_length,sepal_width,petal_length,petal_width\n5.1,3.5,x,0.2\n",
                                     "sepal_length,sepal_width\n5.1,3.5\n"])
def test_unparseable_or_incomplete_rows_are_bad_input(tmp_path, example_artifacts, content):  # noqa: F811
    source = tmp_path / "rows.csv"
    source.write_text(content, encoding="utf-8")
    assert batch.main(["--input", str(source), "--output-dir", str(tmp_path / "out"), "--model-dir",
                       str(example_artifacts)]) == batch.EXIT_BAD_INPUT


def test_missing_input_and_missing_model_have_their_own_exit_codes(tmp_path, example_artifacts):  # noqa: F811
    missing_input = run(["--input", str(tmp_path / "nope.csv"), "--output-dir", str(tmp_path)], example_artifacts)
    assert missing_input.returncode == batch.EXIT_BAD_INPUT
    no_model = run(["--input", str(ROWS_CSV), "--output-dir", str(tmp_path)], tmp_path / "empty")
    assert no_model.returncode == batch.EXIT_NO_MODEL
    assert "cannot load the model" in no_model.stderr


def test_a_shard_index_outside_the_count_is_a_usage_error(tmp_path, example_artifacts):  # noqa: F811
    done = run(["--input", str(ROWS_CSV), "--output-dir", str(tmp_path)], example_artifacts,
               env={"JOB_COMPLETION_INDEX": "3", "SHARD_COUNT": "3"})
    assert done.returncode == batch.EXIT_USAGE
    assert not list(tmp_path.glob("part-*"))
