"""How a model is trained: one frozen set of options, mapped from the `training` settings."""

import dataclasses
from dataclasses import dataclass
from typing import Any

from inference.training.augment import Augmentation
from inference.training.labels import Unannotated


@dataclass(frozen=True)
class TrainingOptions:
    """Patches, optimiser, schedule, split and where training runs."""

    patch_size: int = 320
    batch_size: int = 8
    learning_rate: float = 1e-3
    weight_decay: float = 0.0
    steps: int = 2000
    warmup_steps: int = 50
    malignant_fraction: float = 0.5
    validation_fraction: float = 0.2
    validation_patches: int = 64
    validate_every: int = 100
    checkpoint_every: int = 100
    seed: int = 0
    workers: int = 4
    device: str = "auto"
    precision: str = "auto"
    spacing_tolerance: float = 0.1
    unannotated: Unannotated = Unannotated.IGNORE
    augmentation: Augmentation = dataclasses.field(default_factory=Augmentation)

    @classmethod
    def from_settings(cls, settings: Any, **overrides: Any) -> "TrainingOptions":
        """Options from a `training` settings section, with keyword overrides (flags)."""
        names = {field.name for field in dataclasses.fields(cls)} - {"augmentation"}
        values = {name: getattr(settings, name) for name in names if hasattr(settings, name)}
        values["unannotated"] = Unannotated(values.get("unannotated", Unannotated.IGNORE))
        given = {key: value for key, value in overrides.items() if value is not None}
        return dataclasses.replace(cls(**values), **given)

    def resume_key(self) -> dict[str, Any]:
        """What must not change between a run and its resumption (else the data differs)."""
        return {
            "patch_size": self.patch_size,
            "batch_size": self.batch_size,
            "malignant_fraction": self.malignant_fraction,
            "validation_fraction": self.validation_fraction,
            "seed": self.seed,
            "unannotated": self.unannotated.value,
        }
