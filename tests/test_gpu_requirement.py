"""PATHSENTRY_TEST_REQUIRE_GPU=1 turns a `gpu` test's skip into a failure where CUDA is absent."""

import os
import subprocess
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).parent.parent
TEST = "tests/inference/test_cuda.py::test_auto_precision_on_cuda_is_half"


def _run(require: bool) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment["PATHSENTRY_TEST_REQUIRE_GPU"] = "1" if require else "0"
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST]
    return subprocess.run(command, cwd=ROOT, env=environment, capture_output=True, text=True)


def test_gpu_tests_fail_instead_of_skipping_when_a_gpu_is_required() -> None:
    required, optional = _run(require=True), _run(require=False)
    if torch.cuda.is_available():
        assert required.returncode == optional.returncode == 0, required.stdout
    else:
        assert required.returncode != 0 and "PATHSENTRY_TEST_REQUIRE_GPU" in required.stdout
        assert optional.returncode == 0 and "skipped" in optional.stdout
