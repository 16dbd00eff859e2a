"""Which devices run the model, and at which precision."""

import torch

from inference.cuda_setup import check_cpu_fallback, observe_cuda, unusable_gpu
from inference.errors import InferenceError

PRECISIONS = {"float32": torch.float32, "bfloat16": torch.bfloat16, "float16": torch.float16}


def resolve_devices(setting: str, allow_cpu_fallback: bool = False) -> list[torch.device]:
    """`auto`: every CUDA device, else the CPU; `cuda`: every CUDA device; `cuda:N`; `cpu`.

    `auto` refuses the CPU where an NVIDIA GPU is present but unusable, unless
    `allow_cpu_fallback` (inference.allow_cpu_fallback).
    """
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if setting == "cpu":
        return [torch.device("cpu")]
    if setting == "auto" and count == 0:
        check_cpu_fallback(observe_cuda(), allow_cpu_fallback)
        return [torch.device("cpu")]
    if count == 0:
        reason = unusable_gpu(observe_cuda())
        raise InferenceError(
            f"inference.device is {setting!r} but PyTorch sees no CUDA device"
            + (f" ({reason})" if reason else "")
            + "; set inference.device to cpu or auto"
        )
    if setting in ("auto", "cuda"):
        return [torch.device("cuda", index) for index in range(count)]
    device = torch.device(setting)
    if device.index is not None and device.index >= count:
        raise InferenceError(f"inference.device is {setting!r} but only {count} CUDA devices exist")
    return [device]


def resolve_precision(setting: str, device: torch.device) -> torch.dtype:
    """`auto`: bfloat16 on CUDA (float16 where bfloat16 is unsupported), float32 on the CPU."""
    if setting != "auto":
        if setting not in PRECISIONS:
            raise InferenceError(
                f"inference.precision {setting!r} is not one of {list(PRECISIONS)}"
            )
        return PRECISIONS[setting]
    if device.type != "cuda":
        return torch.float32
    with torch.cuda.device(device):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def precision_name(dtype: torch.dtype) -> str:
    """The settings' name of a precision."""
    return next(name for name, value in PRECISIONS.items() if value == dtype)


def device_name(device: torch.device) -> str:
    """A readable name: the GPU's model, or the CPU."""
    if device.type == "cuda":
        return f"{device}: {torch.cuda.get_device_name(device)}"
    return str(device)


def allow_tf32(precision: torch.dtype) -> None:
    """TF32 matrix products and convolutions (10-bit mantissa) only when float32 is not asked
    for: `precision = float32` means float32 arithmetic, comparable to the CPU's."""
    allowed = precision != torch.float32
    torch.backends.cuda.matmul.allow_tf32 = allowed
    torch.backends.cudnn.allow_tf32 = allowed
