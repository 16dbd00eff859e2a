"""Whether an NVIDIA GPU that PyTorch cannot use should stop start-up (wrong wheel, old driver)."""

import logging
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import torch

from inference.errors import InferenceError

log = logging.getLogger(__name__)

_NVIDIA_DEVICE = Path("/dev/nvidia0")


@dataclass(frozen=True)
class CudaFacts:
    """What this host shows: an NVIDIA device, whether torch can use CUDA, and the versions."""

    nvidia_device: bool
    cuda_available: bool
    torch_cuda: str | None  # the CUDA version torch was built with; None for a CPU build
    driver: str | None  # nvidia-smi's driver version; None without nvidia-smi


class CudaUnusableError(InferenceError):
    """An NVIDIA GPU is present but PyTorch cannot use it."""


def observe_cuda() -> CudaFacts:
    """The facts of this host (runs nvidia-smi when an NVIDIA device may be present)."""
    smi = shutil.which("nvidia-smi")
    return CudaFacts(
        nvidia_device=_NVIDIA_DEVICE.exists() or smi is not None,
        cuda_available=bool(torch.cuda.is_available()),
        torch_cuda=torch.version.cuda,
        driver=_driver_version(smi) if smi else None,
    )


def unusable_gpu(facts: CudaFacts) -> str | None:
    """Why the GPU present cannot be used, or None when there is none or it works."""
    if not facts.nvidia_device or facts.cuda_available:
        return None
    built = f"CUDA {facts.torch_cuda}" if facts.torch_cuda else "no CUDA (a CPU build)"
    driver = facts.driver or "unknown (nvidia-smi not found)"
    return (
        f"an NVIDIA GPU is present but PyTorch cannot use it: torch {torch.__version__} is "
        f"built with {built}, the NVIDIA driver is {driver}; install the torch build for this "
        "driver (the image's TORCH_FLAVOUR build argument, see the README's Docker section) or "
        "update the driver"
    )


def check_cpu_fallback(facts: CudaFacts, allow_cpu_fallback: bool) -> None:
    """Log an unusable GPU as an error and refuse to fall back to the CPU unless allowed."""
    reason = unusable_gpu(facts)
    if reason is None:
        return
    log.error("%s", reason)
    if not allow_cpu_fallback:
        raise CudaUnusableError(
            f"{reason}; or set inference.allow_cpu_fallback = true to run on the CPU"
        )
    log.error("inference.allow_cpu_fallback is true: running on the CPU, far slower")


def _driver_version(smi: str) -> str | None:
    try:
        answer = subprocess.run(
            [smi, "--query-gpu=driver_version", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError) as error:
        log.warning("nvidia-smi could not report the driver version: %s", error)
        return None
    lines = answer.stdout.strip().splitlines()
    return lines[0].strip() if lines else None
