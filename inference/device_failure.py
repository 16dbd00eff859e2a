"""CUDA errors that leave the device's context unusable until the process restarts.

After one of these "sticky" errors every later CUDA call in the process fails the same way
(NVIDIA's CUDA runtime documentation: "the process must be terminated and relaunched"), so
retrying the slide on the same process only fails it again. torch raises them as
`torch.AcceleratorError` (a RuntimeError) with the runtime's message, e.g. "CUDA error: an
illegal memory access was encountered".
"""

import torch

# The CUDA runtime's message and name of every error that corrupts the context.
_STICKY = (
    ("an illegal memory access was encountered", "cudaErrorIllegalAddress"),
    ("unspecified launch failure", "cudaErrorLaunchFailure"),
    ("device-side assert triggered", "cudaErrorAssert"),
    ("an illegal instruction was encountered", "cudaErrorIllegalInstruction"),
    ("misaligned address", "cudaErrorMisalignedAddress"),
    ("hardware stack error", "cudaErrorHardwareStackError"),
    ("invalid program counter", "cudaErrorInvalidPc"),
    ("the launch timed out and was terminated", "cudaErrorLaunchTimeout"),
    ("uncorrectable ECC error encountered", "cudaErrorECCUncorrectable"),
    ("operation not supported on global/shared address space", "cudaErrorInvalidAddressSpace"),
)


def breaks_device(error: BaseException) -> bool:
    """Whether `error` is a CUDA error after which this process cannot use the device."""
    if not isinstance(error, RuntimeError | torch.AcceleratorError):
        return False
    text = str(error)
    return any(message in text or name in text for message, name in _STICKY)
