"""Where the weights come from: the configured file, else the demo model bundled with us."""

from importlib import resources
from pathlib import Path

from inference.errors import NoWeightsError, WeightsError

# The small demo model, trained on synthetic slides, ships inside the package here.
DEMO_WEIGHTS = ("weights", "demo.safetensors")


def bundled_weights() -> Path | None:
    """The bundled demo model's file, or None while none is bundled."""
    candidate = resources.files("inference").joinpath(*DEMO_WEIGHTS)
    path = Path(str(candidate))
    return path if path.is_file() else None


def resolve_weights(configured: Path | None) -> Path:
    """The weights file to use: `configured` if given, else the bundled demo model."""
    if configured is not None:
        path = configured.expanduser()
        if not path.is_file():
            raise WeightsError(f"weights file {path} does not exist; check inference.weights")
        return path
    bundled = bundled_weights()
    if bundled is None:
        raise NoWeightsError(
            "no model weights: set inference.weights in the config file, or the environment "
            "variable PATHSENTRY_INFERENCE__WEIGHTS, or pass --weights, to a .safetensors or "
            ".pt file (a torchvision deeplabv3_resnet50 checkpoint also works)"
        )
    return bundled
