"""One rule for which devices run the model: the service's workers and the engine agree."""

import pytest
import torch

from inference.devices import resolve_devices
from inference.errors import InferenceError

NO_GPU = not torch.cuda.is_available()


def test_the_cpu_and_auto_without_a_gpu_mean_the_cpu() -> None:
    assert resolve_devices("cpu") == [torch.device("cpu")]
    if NO_GPU:
        assert resolve_devices("auto") == [torch.device("cpu")]


@pytest.mark.skipif(not NO_GPU, reason="needs a machine without CUDA")
@pytest.mark.parametrize("setting", ["cuda", "cuda:0", "cuda:3"])
def test_cuda_without_a_gpu_is_a_clear_error(setting: str) -> None:
    with pytest.raises(InferenceError, match=r"sees no CUDA device; set inference\.device"):
        resolve_devices(setting)
