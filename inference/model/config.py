"""The architecture of a segmentation model, stored with its weights so a file rebuilds it."""

import dataclasses
import json
from dataclasses import dataclass
from typing import Any, Literal

from inference.errors import WeightsError

Depth = Literal[18, 34, 50, 101]
OutputStride = Literal[8, 16]

DEPTHS: tuple[int, ...] = (18, 34, 50, 101)
OUTPUT_STRIDES: tuple[int, ...] = (8, 16)
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Atrous rates of the ASPP head: torchvision's (12, 24, 36) at stride 8, halved at 16
# as in the DeepLab v3 paper, so that the head sees the same context in image pixels.
DEFAULT_RATES = {8: (12, 24, 36), 16: (6, 12, 18)}
FORMAT_VERSION = 1


@dataclass(frozen=True)
class ModelConfig:
    """DeepLab v3 on a dilated ResNet: everything needed to rebuild the module and feed it."""

    name: str = "deeplabv3-resnet50"
    version: str = "0"
    depth: int = 50
    width: int = 64
    aspp_channels: int = 256
    output_stride: int = 8
    num_classes: int = 1
    atrous_rates: tuple[int, int, int] = DEFAULT_RATES[8]
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    analysis_spacing_um: float = 0.476

    def __post_init__(self) -> None:
        _check(self.depth in DEPTHS, f"depth must be one of {DEPTHS}, got {self.depth}")
        _check(
            self.output_stride in OUTPUT_STRIDES,
            f"output_stride must be one of {OUTPUT_STRIDES}, got {self.output_stride}",
        )
        _check(self.width >= 1, f"width must be at least 1, got {self.width}")
        _check(self.aspp_channels >= 1, f"aspp_channels must be positive, not {self.aspp_channels}")
        _check(self.num_classes >= 1, f"num_classes must be positive, got {self.num_classes}")
        _check(min(self.std) > 0, f"std must be positive, got {self.std}")
        _check(self.analysis_spacing_um > 0, "analysis_spacing_um must be positive")

    @classmethod
    def for_stride(cls, output_stride: int, **fields: Any) -> "ModelConfig":
        """A configuration with the default atrous rates of `output_stride`."""
        rates = DEFAULT_RATES.get(output_stride, DEFAULT_RATES[8])
        return cls(output_stride=output_stride, atrous_rates=rates, **fields)

    @property
    def backbone_channels(self) -> int:
        """Channels of the backbone's last layer (2048 for a standard ResNet-50)."""
        expansion = 4 if self.depth >= 50 else 1
        return self.width * 8 * expansion

    def to_dict(self) -> dict[str, Any]:
        """The configuration as plain data, with a format version, for a weights file."""
        return {"format_version": FORMAT_VERSION, **dataclasses.asdict(self)}

    def to_json(self) -> str:
        """The configuration as JSON (safetensors metadata holds strings only)."""
        return json.dumps(self.to_dict())

    @classmethod
    def from_json(cls, text: str) -> "ModelConfig":
        """Rebuild a configuration written by `to_json`; unknown formats are refused."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as error:
            raise WeightsError(f"the stored model configuration is not JSON: {error}") from None
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "ModelConfig":
        """Rebuild a configuration from plain data (a .pt file's "config" entry)."""
        data = dict(data)
        version = data.pop("format_version", FORMAT_VERSION)
        _check(version == FORMAT_VERSION, f"model configuration format {version} is unknown")
        known = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - known)
        _check(not unknown, f"model configuration has unknown keys {unknown}")
        for key in ("atrous_rates", "mean", "std"):
            if key in data:
                data[key] = tuple(data[key])
        try:
            return cls(**data)
        except TypeError as error:
            raise WeightsError(f"model configuration is invalid: {error}") from None


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise WeightsError(f"invalid model configuration: {message}")
