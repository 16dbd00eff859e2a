"""The quality gate's thresholds (settings section `[quality]`; defaults measured, see there)."""

from dataclasses import dataclass, fields
from typing import Any, Protocol

from inference.ink import InkColours


class QualitySection(Protocol):
    """What the settings' `[quality]` section offers (config.settings.QualitySettings)."""

    def model_dump(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class QualityParameters:
    """Thresholds of each check; sizes in micrometres so that they hold at any pixel spacing."""

    enabled: bool = True
    min_evaluable_fraction: float = 0.7
    focus_spacing_um: float = 1.0
    focus_block_um: float = 128.0
    min_sharpness: float = 0.45
    pen_green_red: float = InkColours.green_red
    pen_blue_red: float = InkColours.blue_red
    pen_black_density: float = InkColours.black_density
    fold_density_ratio: float = 1.4
    fold_nuclear_ratio: float = 2.5
    bubble_min_radius_um: float = 150.0
    bubble_max_radius_um: float = 1500.0
    bubble_rim_contrast: float = 6.0
    bubble_brightening: float = 10.0
    coverslip_min_length_um: float = 1000.0
    coverslip_rim_contrast: float = 4.0
    min_defect_area_mm2: float = 0.02

    @property
    def ink(self) -> InkColours:
        """The ink colours of the pen_* settings: the gate marks them as pen, and tissue
        detection leaves them out of its threshold (ink on glass is no tissue)."""
        return InkColours(self.pen_green_red, self.pen_blue_red, self.pen_black_density)

    @classmethod
    def from_settings(cls, section: QualitySection) -> "QualityParameters":
        """The parameters of a `[quality]` settings section (same keys)."""
        values = section.model_dump()
        names = {field.name for field in fields(cls)}
        if set(values) != names:
            raise ValueError(
                f"the [quality] settings hold {sorted(values)}, the gate needs {sorted(names)}"
            )
        return cls(**values)
