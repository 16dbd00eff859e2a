"""The benchmark: its peak table matches the names GPUs report; it reports stages and memory."""

import pytest
import torch

from inference.benchmark import BenchPlan, peak_tflops, run_benchmark
from tests.inference.fixtures import options, slide, tiny_deeplab


@pytest.mark.parametrize(
    ("name", "peak"),
    [
        ("NVIDIA H200 NVL", 835.5),
        ("NVIDIA H200", 989.5),
        ("NVIDIA H100 80GB HBM3", 989.5),
        ("NVIDIA H100 SXM5 80GB", 989.5),
        ("NVIDIA H100 NVL", 835.5),
        ("NVIDIA H100 PCIe", 756.5),
        ("NVIDIA A100-SXM4-80GB", 312.0),
        ("NVIDIA L40S", 362.1),
    ],
)
def test_known_gpus_get_their_dense_peak(name: str, peak: float) -> None:
    assert peak_tflops(name) == peak


def test_unknown_gpu_has_no_peak() -> None:
    assert peak_tflops("NVIDIA GeForce RTX 4090") is None


def test_benchmark_reports_stage_times_and_no_gpu_memory_on_the_cpu() -> None:
    result = run_benchmark(BenchPlan(tiny_deeplab(), options(), repeats=1), slide(), "tiny")
    assert result.stage_seconds["total_s"] > result.stage_seconds["inference_s"] > 0
    assert set(result.stage_seconds) >= {"planning_s", "tissue_s", "merge_s", "reading_s"}
    assert result.peak_memory_gib is None and result.gpus == ()


@pytest.mark.gpu
def test_benchmark_reports_peak_memory_and_every_gpu() -> None:
    plan = BenchPlan(tiny_deeplab(), options(device="cuda:0"), repeats=1)
    result = run_benchmark(plan, slide(), "tiny")
    assert result.peak_memory_gib is not None and result.peak_memory_gib > 0
    assert len(result.gpus) == torch.cuda.device_count()


def test_efficiency_is_the_median_pair_and_its_times_are_that_pairs() -> None:
    result = run_benchmark(BenchPlan(tiny_deeplab(), options(), repeats=3), slide(), "tiny")
    assert len(result.efficiencies) == 3
    assert result.efficiency == sorted(result.efficiencies)[1]
    assert result.efficiency == result.model_seconds / result.engine_seconds
    assert result.stage_seconds["starved_s"] == result.starved_s
    assert result.fed_slowdown > 0


def test_the_stream_is_measured_in_pairs_and_its_median_counts() -> None:
    plan = BenchPlan(tiny_deeplab(), options(), repeats=3, stream_slides=2, slides_in_flight=2)
    result = run_benchmark(plan, slide(), "tiny")
    assert len(result.stream_efficiencies) == 3
    assert result.stream_efficiency == sorted(result.stream_efficiencies)[1]
    assert (result.stream_slides, result.slides_in_flight) == (2, 2)


def test_no_stream_unless_asked() -> None:
    result = run_benchmark(BenchPlan(tiny_deeplab(), options(), repeats=1), slide(), "tiny")
    assert result.stream_efficiency is None and result.stream_efficiencies == ()
