"""Score a file of rows with the trained model: the batch counterpart of POST /predict.

Run from examples/ml-service:  python -m app.batch --input rows.csv --output-dir predictions
The input is CSV with a header row, or JSON Lines (one object per line), with the four feature fields.
Each output line is one prediction, tagged with the number of the input row it belongs to.

Sharding: with --shard-count N, this process scores only the rows whose number modulo N is its shard index.
In a Kubernetes Indexed Job, Kubernetes sets JOB_COMPLETION_INDEX in each Pod, so N Pods with the same
command split one file between them. Each shard writes its own file, atomically: a file is either complete
or absent, so a retried or repeated run skips the shards that are done and redoes the others.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from .config import Settings
from .model import LoadedModel, ModelLoadError, load_model
from .schemas import IrisFeatures

# Exit codes a Job's podFailurePolicy can act on. 1 (an unexpected exception) may succeed on a retry;
# 2, 3 and 4 cannot, so the Job should fail at once instead of burning its backoffLimit on them.
EXIT_OK = 0
EXIT_USAGE = 2  # argparse's own code for a bad command line, reused for a bad shard setting
EXIT_BAD_INPUT = 3
EXIT_NO_MODEL = 4

# Rows per predict() call: one vectorised call per chunk, and memory bounded however large the file is.
CHUNK_ROWS = 1000


class BadInput(ValueError):
    pass


def read_rows(path: Path) -> Iterator[tuple[int, dict]]:
    """Yield (row number, raw fields) from a .csv or .jsonl file, counting data rows from 0."""
    if path.suffix == ".csv":
        with path.open(newline="", encoding="utf-8") as handle:
            for number, record in enumerate(csv.DictReader(handle)):
                try:
                    yield number, {key: float(value) for key, value in record.items()}
                except (TypeError, ValueError) as error:
                    raise BadInput(f"{path} row {number}: not a number ({error})") from error
    elif path.suffix == ".jsonl":
        with path.open(encoding="utf-8") as handle:
            for number, line in enumerate(handle):
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as error:
                    raise BadInput(f"{path} row {number}: not JSON ({error})") from error
    else:
        raise BadInput(f"{path}: expected a .csv or .jsonl file")


def validate(path: Path, number: int, fields: dict) -> IrisFeatures:
    try:
        return IrisFeatures.model_validate(fields)
    except ValidationError as error:
        # The same rules as the API: a value the service would answer with 422 stops the batch here.
        raise BadInput(f"{path} row {number}: {error.errors(include_url=False)}") from error


def shard_path(output_dir: Path, index: int, count: int) -> Path:
    return output_dir / f"part-{index:05d}-of-{count:05d}.jsonl"


def score_shard(model: LoadedModel, input_path: Path, output_dir: Path, index: int, count: int) -> dict:
    """Score this shard's rows into its own file; skip the work if that file already exists."""
    target = shard_path(output_dir, index, count)
    if target.exists():
        return {"shard": index, "shards": count, "output": str(target), "skipped": True}
    output_dir.mkdir(parents=True, exist_ok=True)
    # Written next to the target, then renamed: a Pod killed half-way leaves no half-written shard behind.
    partial = target.with_name(f".{target.name}.partial")
    rows = 0
    try:
        with partial.open("w", encoding="utf-8") as out:
            chunk: list[tuple[int, IrisFeatures]] = []
            for number, fields in read_rows(input_path):
                if number % count != index:
                    continue
                chunk.append((number, validate(input_path, number, fields)))
                if len(chunk) == CHUNK_ROWS:
                    rows += write_chunk(model, chunk, out)
                    chunk = []
            rows += write_chunk(model, chunk, out)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return {"shard": index, "shards": count, "output": str(target), "rows": rows, "skipped": False}


def write_chunk(model: LoadedModel, chunk: list[tuple[int, IrisFeatures]], out) -> int:
    if not chunk:
        return 0
    predictions = model.predict([features for _, features in chunk])
    for (number, _), prediction in zip(chunk, predictions, strict=True):
        record = {"row": number, "model_version": model.version, **prediction.model_dump()}
        out.write(json.dumps(record) + "\n")
    return len(chunk)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", type=Path, required=True, help="a .csv or .jsonl file of rows")
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--model-dir", type=Path, default=Settings.from_env().model_dir)
    parser.add_argument("--shard-count", type=int, default=int(os.environ.get("SHARD_COUNT", "1")))
    parser.add_argument(
        "--shard-index",
        type=int,
        # Kubernetes sets JOB_COMPLETION_INDEX in every Pod of an Indexed Job: 0 .. completions-1.
        default=int(os.environ.get("JOB_COMPLETION_INDEX", "0")),
    )
    args = parser.parse_args(argv)
    if not 0 <= args.shard_index < args.shard_count:
        print(f"error: shard index {args.shard_index} is outside 0..{args.shard_count - 1}", file=sys.stderr)
        return EXIT_USAGE
    try:
        model = load_model(args.model_dir)
    except (ModelLoadError, OSError, KeyError) as error:
        print(f"error: cannot load the model: {error}", file=sys.stderr)
        return EXIT_NO_MODEL
    try:
        summary = score_shard(model, args.input, args.output_dir, args.shard_index, args.shard_count)
    except (BadInput, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    # One JSON line on stdout: what `kubectl logs` or `docker compose logs` shows for this run.
    print(json.dumps(summary))
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
