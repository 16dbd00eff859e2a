"""An NVIDIA GPU that PyTorch cannot use stops start-up, unless the CPU fallback is allowed."""

import logging

import pytest

from inference.cuda_setup import CudaFacts, CudaUnusableError, check_cpu_fallback, unusable_gpu

BROKEN = CudaFacts(nvidia_device=True, cuda_available=False, torch_cuda="13.0", driver="550.54.15")


def test_a_gpu_torch_cannot_use_stops_start_up_naming_both_versions(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(CudaUnusableError, match="allow_cpu_fallback") as raised:
        check_cpu_fallback(BROKEN, allow_cpu_fallback=False)
    assert "CUDA 13.0" in str(raised.value) and "550.54.15" in str(raised.value)
    assert any(record.levelno == logging.ERROR for record in caplog.records)


def test_the_fallback_setting_logs_an_error_and_goes_on(caplog: pytest.LogCaptureFixture) -> None:
    check_cpu_fallback(BROKEN, allow_cpu_fallback=True)
    errors = [record.getMessage() for record in caplog.records if record.levelno == logging.ERROR]
    assert any("550.54.15" in message for message in errors)


def test_a_cpu_build_says_so() -> None:
    facts = CudaFacts(nvidia_device=True, cuda_available=False, torch_cuda=None, driver=None)
    reason = unusable_gpu(facts)
    assert reason is not None and "a CPU build" in reason and "nvidia-smi not found" in reason


@pytest.mark.parametrize(
    "facts",
    [
        CudaFacts(nvidia_device=False, cuda_available=False, torch_cuda=None, driver=None),
        CudaFacts(nvidia_device=True, cuda_available=True, torch_cuda="12.8", driver="570.86"),
    ],
)
def test_no_gpu_or_a_working_one_is_no_problem(
    facts: CudaFacts, caplog: pytest.LogCaptureFixture
) -> None:
    check_cpu_fallback(facts, allow_cpu_fallback=False)
    assert unusable_gpu(facts) is None
    assert not [record for record in caplog.records if record.levelno >= logging.WARNING]
