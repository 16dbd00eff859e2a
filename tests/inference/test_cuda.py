"""The CUDA path: autocast, channels_last, pinned transfers, several devices, compilation."""

import numpy as np
import pytest
import torch

from inference.batches import BatchProducer, ReadPlan
from inference.replica import Replica
from inference.tiling import AnalysisGrid, Size, TileLayout, tile_grid
from tests.inference.fixtures import engine, slide, tiny_deeplab

pytestmark = [
    pytest.mark.gpu,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device"),
]


def test_bfloat16_on_cuda_agrees_with_float32_on_cpu() -> None:
    model = tiny_deeplab()
    reference = engine(model).run(slide())
    result = engine(model, device="cuda:0", precision="bfloat16").run(slide())
    assert result.statistics.precision == "bfloat16"
    assert result.statistics.devices[0].startswith("cuda:0")
    assert result.score == pytest.approx(reference.score, abs=0.02)
    assert np.abs(result.top_values - reference.top_values).max() < 0.03
    assert np.allclose(
        result.probability_map.probabilities, reference.probability_map.probabilities, atol=0.03
    )
    assert np.array_equal(result.tile_origins, reference.tile_origins)


def test_auto_precision_on_cuda_is_half() -> None:
    result = engine(tiny_deeplab(), device="cuda:0", precision="auto").run(slide())
    assert result.statistics.precision in ("bfloat16", "float16")


def test_replica_runs_channels_last_under_autocast() -> None:
    model = tiny_deeplab()
    replica = Replica(model, torch.device("cuda:0"), torch.bfloat16, compile_model=False)
    tiles = replica.sample_input(2, 64)
    assert tiles.is_contiguous(memory_format=torch.channels_last)
    with torch.inference_mode():
        logits = replica.forward(tiles)
    assert logits.dtype == torch.bfloat16
    assert logits.shape == (2, 1, 64, 64)


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


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs two CUDA devices")
def test_every_device_gets_a_replica_and_results_merge() -> None:
    model = tiny_deeplab()
    single = engine(model, device="cuda:0", precision="float32").run(slide())
    several = engine(model, device="cuda", precision="float32", batch_size=1)
    assert len(several.replicas) == torch.cuda.device_count()
    result = several.run(slide())
    assert result.score == pytest.approx(single.score, abs=1e-3)
    assert np.allclose(
        result.probability_map.probabilities, single.probability_map.probabilities, atol=1e-3
    )


@pytest.mark.slow
def test_compiled_model_gives_the_same_result() -> None:
    model = tiny_deeplab()
    plain = engine(model, device="cuda:0", precision="bfloat16").run(slide())
    compiled = engine(model, device="cuda:0", precision="bfloat16", compile=True).run(slide())
    assert compiled.score == pytest.approx(plain.score, abs=0.02)
