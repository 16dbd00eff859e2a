"""bench/gpu_check.py runs end to end on the CPU at a tiny size (its dry run), so it cannot rot."""

import json
from pathlib import Path
from typing import Any

from bench.gpu_check import STEPS, Check, dry_check, environment, run_steps


def test_dry_run_appends_one_result_per_step(tmp_path: Path) -> None:
    out = tmp_path / "check.jsonl"
    finished = [record["step"] for record in run_steps(dry_check(), out)]
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert finished == [record["step"] for record in records] == list(STEPS)
    assert all(record["ok"] for record in records), records
    by_step = {record["step"]: record for record in records}
    differences = by_step["correctness"]["max_probability_difference"]
    assert differences["float32"] < 1e-5 < differences["bfloat16"] < 0.1
    assert by_step["correctness"]["spread"] > 0.2
    points = by_step["sweep"]["points"]
    assert len(points) == 2 * 2 * 2 * len(dry_check().batches)
    assert all(point["ms_per_tile"] > 0 and point["tflops"] > 0 for point in points)
    assert "Self CPU" in by_step["profile"]["table"]


def test_a_failing_step_is_recorded_and_the_next_still_runs(tmp_path: Path) -> None:
    def broken(check: Check) -> dict[str, Any]:
        raise RuntimeError("CUDA error: an illegal memory access was encountered")

    out = tmp_path / "check.jsonl"
    list(run_steps(dry_check(), out, {"broken": broken, "environment": environment}))
    first, second = (json.loads(line) for line in out.read_text().splitlines())
    assert not first["ok"] and "illegal memory access" in first["error"]
    assert second["ok"] and second["torch"]
