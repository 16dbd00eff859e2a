"""One-shot GPU check: environment, CUDA against the CPU, sync points, the `gpu` tests, a sweep of
ResNet-50 OS8 over batch, precision, memory format and BatchNorm folding, the engine bench from
DICOM files, a profile, and compile last.

Each step's result is appended to a JSON Lines file as soon as it finishes, so a time-out keeps
what finished. Needs torch and this project (`pip install -e .` with the torch build of the
machine); the `gpu` tests step needs the dev extra (pytest).

Usage: PYTHONPATH=. python bench/gpu_check.py [--out FILE] [--tile-size 2200] [--dry-run]
(--dry-run: the CPU, a tiny model and tiles, no tests, bench or compile; CI runs it.)
"""

import argparse
import copy
import json
import os
import platform
import shutil
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from inference.benchmark import peak_tflops
from inference.cuda_setup import observe_cuda
from inference.devices import allow_tf32
from inference.engine import Engine, EngineOptions
from inference.memory_source import ArraySource
from inference.model import LoadedModel, ModelConfig, build_model, fold_batch_norm, forward_flops
from inference.replica import Replica
from inference.tissue import TissueParameters

Step = Callable[["Check"], dict[str, Any]]
REPO = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Check:
    """What is checked where: the device, the model, the tile size and the sweep's batches."""

    device: torch.device
    config: ModelConfig
    tile_size: int
    batches: tuple[int, ...]
    repeats: int
    dry_run: bool


def full_check(tile_size: int) -> Check:
    return Check(torch.device("cuda:0"), ModelConfig(), tile_size, (1, 2, 4, 8), 5, False)


def dry_check() -> Check:
    tiny = ModelConfig.for_stride(8, depth=18, width=8, aspp_channels=16)
    return Check(torch.device("cpu"), tiny, 96, (1, 2), 1, True)


def random_model(config: ModelConfig, seed: int = 0) -> LoadedModel:
    """Random weights whose logits on random tiles spread with deviation 2 around 0, so that
    probabilities cover 0..1 and a wrong device path shows."""
    torch.manual_seed(seed)
    module = build_model(config)
    for layer in module.modules():
        if isinstance(layer, nn.BatchNorm2d):
            assert layer.running_mean is not None and layer.running_var is not None
            layer.running_mean.uniform_(-0.1, 0.1)
            layer.running_var.uniform_(0.5, 1.5)
    head = module.classifier[-1]
    assert isinstance(head, nn.Conv2d) and head.bias is not None
    with torch.no_grad():
        logits = module(torch.randn(1, 3, 96, 96))
        factor = 2 / logits.std()
        head.weight.mul_(factor)
        head.bias.sub_(logits.mean()).mul_(factor)
    return LoadedModel(module, config, None)


def environment(check: Check) -> dict[str, Any]:
    facts = observe_cuda()
    devices = [
        {"name": torch.cuda.get_device_name(index), "memory_gib": _gib(_total_memory(index))}
        for index in range(torch.cuda.device_count() if facts.cuda_available else 0)
    ]
    cudnn = torch.backends.cudnn.version() if facts.cuda_available else None  # type: ignore[no-untyped-call]
    return {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "torch_cuda": facts.torch_cuda,
        "driver": facts.driver,
        "cudnn": cudnn,
        "cpu_count": os.cpu_count(),
        "devices": devices,
    }


def correctness(check: Check) -> dict[str, Any]:
    """Largest probability differences of the device against the CPU in float32 (no TF32)."""
    model = random_model(check.config)
    cpu = Replica(model, torch.device("cpu"), torch.float32, compile_model=False)
    tiles = cpu.sample_input(2, check.tile_size if check.dry_run else 512)
    with torch.inference_mode():
        expected = torch.sigmoid(cpu.forward(tiles))
    differences = {}
    for name in ("float32", "bfloat16"):
        dtype = getattr(torch, name)
        allow_tf32(dtype)
        replica = Replica(model, check.device, dtype, compile_model=False)
        with torch.inference_mode():
            probabilities = torch.sigmoid(replica.forward(tiles.to(check.device)).float()).cpu()
        differences[name] = float((probabilities - expected).abs().max())
    return {"max_probability_difference": differences, "spread": float(expected.std())}


def sync_points(check: Check) -> dict[str, Any]:
    """Host-device synchronisations the engine makes over one small slide (CUDA only)."""
    if check.device.type != "cuda":
        return {"skipped": "no CUDA device"}
    engine = Engine(random_model(check.config), _engine_options(check))
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            engine.run(_slide())
    finally:
        torch.cuda.set_sync_debug_mode("default")
    places = sorted({f"{Path(w.filename).name}:{w.lineno}" for w in caught})
    return {"synchronisations": len(caught), "places": places}


def gpu_tests(check: Check) -> dict[str, Any]:
    if check.dry_run:
        return {"skipped": "dry run"}
    environment = {**os.environ, "PATHSENTRY_TEST_REQUIRE_GPU": "1", "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "pytest", "-q", "-m", "gpu", "tests/inference"]
    done = subprocess.run(
        command, cwd=REPO, env=environment, capture_output=True, text=True, timeout=240
    )
    return {"returncode": done.returncode, "tail": done.stdout[-3000:]}


def sweep(check: Check) -> dict[str, Any]:
    """ms per tile, TFLOP/s, fraction of peak and peak memory of the bare model."""
    model = random_model(check.config)
    name = torch.cuda.get_device_name(check.device) if check.device.type == "cuda" else "cpu"
    peak = peak_tflops(name)
    flops = forward_flops(model.module, check.tile_size)
    rows = [
        _sweep_point(check, model, batch, precision, channels_last, folded, flops, peak)
        for precision in ("bfloat16", "float32")
        for channels_last in (True, False)
        for folded in (True, False)
        for batch in check.batches
    ]
    return {"device": name, "gflop_per_tile": flops / 1e9, "peak_tflops": peak, "points": rows}


def engine_bench(check: Check) -> dict[str, Any]:
    if check.dry_run:
        return {"skipped": "dry run"}
    out = REPO / "bench" / "results"
    pathsentry = shutil.which("pathsentry") or str(Path(sys.executable).with_name("pathsentry"))
    command = [pathsentry, "bench", "--model", "resnet50-os8"]
    command += ["--device", str(check.device), "--json", "--out", str(out)]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        return {"returncode": done.returncode, "stderr": done.stderr[-3000:]}
    figures: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


def profile(check: Check) -> dict[str, Any]:
    """The operators that take the time in a few forward passes of the model."""
    model = random_model(check.config)
    precision = torch.float32 if check.dry_run else torch.bfloat16
    replica = Replica(model, check.device, precision, compile_model=False)
    activities = [torch.profiler.ProfilerActivity.CPU]
    if check.device.type == "cuda":
        activities.append(torch.profiler.ProfilerActivity.CUDA)
    with torch.inference_mode():
        tiles = replica.sample_input(check.batches[-1], check.tile_size)
        replica.forward(tiles)
        with torch.profiler.profile(activities=activities) as profiler:
            for _ in range(2):
                replica.forward(tiles)
            _synchronise(check.device)
    key = "self_cuda_time_total" if check.device.type == "cuda" else "self_cpu_time_total"
    return {"table": profiler.key_averages().table(sort_by=key, row_limit=15)}


def compiled(check: Check) -> dict[str, Any]:
    if check.dry_run:
        return {"skipped": "dry run"}
    model = random_model(check.config)
    replica = Replica(model, check.device, torch.bfloat16, compile_model=True)
    with torch.inference_mode():
        tiles = replica.sample_input(check.batches[-1], check.tile_size)
        started = time.perf_counter()
        replica.forward(tiles)
        _synchronise(check.device)
        first_s = time.perf_counter() - started
        seconds = _best_of(check.repeats, lambda: replica.forward(tiles), check.device)
    return {"first_call_s": first_s, "ms_per_tile": 1000 * seconds / check.batches[-1]}


STEPS: dict[str, Step] = {
    "environment": environment,
    "correctness": correctness,
    "sync_points": sync_points,
    "gpu_tests": gpu_tests,
    "sweep": sweep,
    "engine_bench": engine_bench,
    "profile": profile,
    "compile": compiled,
}


def run_steps(
    check: Check, out: Path, steps: dict[str, Step] | None = None
) -> Iterator[dict[str, Any]]:
    """Run every step, appending its result (or its error) to `out` as soon as it finishes."""
    out.parent.mkdir(parents=True, exist_ok=True)
    for name, step in (steps or STEPS).items():
        started = time.perf_counter()
        try:
            record: dict[str, Any] = {"step": name, "ok": True, **step(check)}
        except Exception as error:  # noqa: BLE001 - a failed step is its result; the rest run
            record = {"step": name, "ok": False, "error": repr(error)}
            record["traceback"] = traceback.format_exc(limit=5)
        record["seconds"] = round(time.perf_counter() - started, 3)
        with out.open("a") as file:
            file.write(json.dumps(record, default=str) + "\n")
        yield record


def _sweep_point(
    check: Check,
    model: LoadedModel,
    batch: int,
    precision: str,
    channels_last: bool,
    folded: bool,
    flops: int,
    peak: float | None,
) -> dict[str, Any]:
    point: dict[str, Any] = {
        "batch": batch,
        "precision": precision,
        "channels_last": channels_last,
        "folded_batch_norm": folded,
    }
    try:
        seconds, memory = _time_forward(check, model, batch, precision, channels_last, folded)
    except torch.OutOfMemoryError:
        return {**point, "error": "out of memory"}
    tflops = flops * batch / seconds / 1e12
    return {
        **point,
        "ms_per_tile": 1000 * seconds / batch,
        "tflops": tflops,
        "fraction_of_peak": tflops / peak if peak else None,
        "peak_gib": memory,
    }


def _time_forward(
    check: Check,
    model: LoadedModel,
    batch: int,
    precision: str,
    channels_last: bool,
    folded: bool,
) -> tuple[float, float | None]:
    module = copy.deepcopy(model.module).eval()
    module = (fold_batch_norm(module) if folded else module).to(check.device)
    layout = torch.channels_last if channels_last else torch.contiguous_format
    module = module.to(memory_format=layout)  # type: ignore[call-overload]
    dtype = getattr(torch, precision)
    allow_tf32(dtype)
    cuda = check.device.type == "cuda"
    if cuda:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(check.device)
    with torch.inference_mode(), torch.autocast(check.device.type, dtype, dtype != torch.float32):
        tiles = torch.randn(batch, 3, check.tile_size, check.tile_size, device=check.device)
        tiles = tiles.contiguous(memory_format=layout)
        module(tiles)
        seconds = _best_of(check.repeats, lambda: module(tiles), check.device)
    memory = _gib(torch.cuda.max_memory_allocated(check.device)) if cuda else None
    return seconds, memory


def _best_of(repeats: int, call: Callable[[], object], device: torch.device) -> float:
    best = float("inf")
    for _ in range(repeats):
        _synchronise(device)
        started = time.perf_counter()
        call()
        _synchronise(device)
        best = min(best, time.perf_counter() - started)
    return best


def _engine_options(check: Check) -> EngineOptions:
    return EngineOptions(
        tile_size=check.tile_size if check.dry_run else 512,
        tile_keep=check.tile_size // 2 if check.dry_run else 448,
        batch_size=2,
        device=str(check.device),
        precision="bfloat16",
        reader_threads=2,
        tissue=TissueParameters(opening_um=2.0, closing_um=4.0, min_area_mm2=1e-4),
    )


def _slide() -> ArraySource:
    """White glass around a rectangle of noisy pink 'tissue', 0.7 x 0.95 mm."""
    rng = np.random.default_rng(0)
    image = np.full((1500, 2000, 3), 236, dtype=np.uint8)
    tissue = rng.integers(-30, 30, size=(1000, 1400, 3)) + np.array([170, 100, 160])
    image[250:1250, 300:1700] = tissue.astype(np.uint8)
    return ArraySource.pyramid(image, 0.476, 4)


def _synchronise(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _total_memory(index: int) -> int:
    return int(torch.cuda.get_device_properties(index).total_memory)


def _gib(size: int) -> float:
    return round(size / 2**30, 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=None, help="JSON Lines file to append to")
    parser.add_argument("--tile-size", type=int, default=2200)
    parser.add_argument("--dry-run", action="store_true", help="tiny, on the CPU (CI)")
    arguments = parser.parse_args()
    check = dry_check() if arguments.dry_run else full_check(arguments.tile_size)
    slug = "dry-run" if arguments.dry_run else "gpu"
    out = arguments.out or REPO / "bench" / "results" / f"gpu-check-{slug}.jsonl"
    for record in run_steps(check, out):
        state = "ok" if record["ok"] else f"FAILED: {record['error']}"
        print(f"{record['step']}: {state} ({record['seconds']} s)", flush=True)
    print(f"results: {out}")


if __name__ == "__main__":
    main()
