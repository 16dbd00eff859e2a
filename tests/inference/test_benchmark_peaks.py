"""The benchmark's peak table matches the names GPUs report."""

import pytest

from inference.benchmark import peak_tflops


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
