"""One worker per GPU, or one on the CPU."""

import torch


def worker_devices(device: str) -> list[str]:
    """The devices to start a worker on, for the `inference.device` setting."""
    if device == "cpu":
        return ["cpu"]
    if device.startswith("cuda:"):
        return [device]
    count = torch.cuda.device_count() if torch.cuda.is_available() else 0
    if count == 0:
        return ["cpu"] if device == "auto" else ["cuda:0"]
    return [f"cuda:{index}" for index in range(count)]
