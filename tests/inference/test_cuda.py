"""The CUDA path against the CPU: precision, channels_last, pinned transfers, replicas, compile.

The model's probabilities spread over 0..1 (`strong_model`), so a channel swap, a dropped
normalisation or a transposed tile fails these tolerances (tests/inference/test_comparisons.py
shows it on the CPU). PATHSENTRY_TEST_REQUIRE_GPU=1 makes these tests fail where CUDA is absent.
"""

import threading

import numpy as np
import pytest
import torch

from inference.batches import BatchProducer, ReadPlan
from inference.replica import Replica
from inference.tiling import AnalysisGrid, Size, TileLayout, tile_grid
from tests.inference.fixtures import (
    BFLOAT16_ATOL,
    FLOAT32_ATOL,
    ConstantModel,
    engine,
    loaded,
    map_difference,
    slide,
    strong_model,
    tiny_deeplab,
)

pytestmark = pytest.mark.gpu


def test_float32_on_cuda_matches_the_cpu() -> None:
    model = strong_model()
    reference = engine(model).run(slide())
    result = engine(model, device="cuda:0", precision="float32").run(slide())
    assert not torch.backends.cuda.matmul.allow_tf32 and not torch.backends.cudnn.allow_tf32
    assert result.statistics.devices[0].startswith("cuda:0")
    assert map_difference(reference, result) < FLOAT32_ATOL
    assert np.abs(result.top_values - reference.top_values).max() < FLOAT32_ATOL
    assert result.score == pytest.approx(reference.score, abs=FLOAT32_ATOL)


def test_bfloat16_on_cuda_agrees_with_float32_on_cpu() -> None:
    model = strong_model()
    reference = engine(model).run(slide())
    result = engine(model, device="cuda:0", precision="bfloat16").run(slide())
    assert result.statistics.precision == "bfloat16"
    assert map_difference(reference, result) < BFLOAT16_ATOL
    assert result.score == pytest.approx(reference.score, abs=BFLOAT16_ATOL)


def test_auto_precision_on_cuda_is_half() -> None:
    result = engine(tiny_deeplab(), device="cuda:0", precision="auto").run(slide())
    assert result.statistics.precision in ("bfloat16", "float16")


def test_constant_model_answers_on_the_input_device() -> None:
    result = engine(loaded(ConstantModel(0.0)), device="cuda:0", precision="float32").run(slide())
    assert result.top_values.max() == pytest.approx(0.5)


def test_replica_runs_channels_last_and_upsamples_in_float32() -> None:
    replica = Replica(tiny_deeplab(), torch.device("cuda:0"), torch.bfloat16, compile_model=False)
    tiles = replica.sample_input(2, 64)
    assert tiles.is_contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        logits = replica.forward(tiles)
    assert logits.dtype == torch.float32
    assert logits.shape == (2, 1, 64, 64)


def test_two_replicas_on_one_device_agree_with_the_cpu() -> None:
    model = strong_model()
    device = torch.device("cuda:0")
    replicas = [Replica(model, device, torch.float32, compile_model=False) for _ in range(2)]
    cpu = Replica(model, torch.device("cpu"), torch.float32, compile_model=False)
    tiles = cpu.sample_input(4, 96)
    outputs: list[torch.Tensor] = [torch.empty(0)] * 2

    def run(index: int) -> None:
        with torch.inference_mode():
            outputs[index] = replicas[index].forward(tiles.to(device)).cpu()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with torch.inference_mode():
        expected = torch.sigmoid(cpu.forward(tiles))
    for output in outputs:
        assert (torch.sigmoid(output) - expected).abs().max() < FLOAT32_ATOL


def test_batches_are_pinned_and_copied_without_blocking() -> None:
    grid = AnalysisGrid(0, 0.476, 0.476, Size(400, 300))
    layout = TileLayout(96, 64)
    plan = ReadPlan(slide(), grid, layout, tile_grid(grid.size, layout)[:4], 2)
    replica = Replica(tiny_deeplab(), torch.device("cuda:0"), torch.bfloat16, False)
    with BatchProducer(plan, threads=2, depth=2, pin_memory=True) as producer:
        batch = producer.get()
        assert batch is not None and batch.pixels.is_pinned()
        pixels, geometry = replica.transfer(batch)
        torch.cuda.synchronize()
    assert pixels.device.type == "cuda" and torch.equal(pixels.cpu(), batch.pixels)
    assert torch.equal(geometry.cpu(), batch.geometry)


def test_every_device_gets_a_replica_and_results_merge() -> None:
    if torch.cuda.device_count() < 2:
        pytest.skip("needs two CUDA devices")
    model = strong_model()
    single = engine(model, device="cuda:0", precision="float32").run(slide())
    several = engine(model, device="cuda", precision="float32", batch_size=1)
    assert len(several.replicas) == torch.cuda.device_count()
    result = several.run(slide())
    assert map_difference(single, result) < FLOAT32_ATOL


@pytest.mark.slow
def test_compiled_model_gives_the_same_result() -> None:
    model = strong_model()
    plain = engine(model, device="cuda:0", precision="bfloat16").run(slide())
    compiled = engine(model, device="cuda:0", precision="bfloat16", compile=True).run(slide())
    assert map_difference(plain, compiled) < BFLOAT16_ATOL
