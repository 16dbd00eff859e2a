"""Training labels per pixel, and how annotation class names map onto them.

Song et al. annotate malignant, benign, poor quality and ignore; poor quality counts as
ignore and gives no loss. Names are matched case-insensitively, with hyphens, underscores
and repeated spaces read as one space ("Non-tumour", "non_tumour" and "NON TUMOUR" agree).
"""

import enum
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from inference.errors import AnnotationError


class PixelLabel(enum.IntEnum):
    """The value of a pixel in a label raster; IGNORE pixels give no loss."""

    BENIGN = 0
    MALIGNANT = 1
    IGNORE = 255


class Unannotated(enum.StrEnum):
    """What tissue outside every annotation is taken to be."""

    # Safe for partial annotations: only outlined tissue teaches the model anything.
    IGNORE = "ignore"
    # Right only when every malignant region is outlined (true of synthetic slides).
    BENIGN = "benign"

    @property
    def label(self) -> PixelLabel:
        return PixelLabel.IGNORE if self is Unannotated.IGNORE else PixelLabel.BENIGN


MALIGNANT_NAMES = (
    "tumor",
    "tumour",
    "malignant",
    "malignancy",
    "carcinoma",
    "adenocarcinoma",
    "cancer",
    "neoplasm",
    "malignant neoplasm",
    "hgin",
    "high grade intraepithelial neoplasia",
)
BENIGN_NAMES = (
    "benign",
    "normal",
    "stroma",
    "non tumor",
    "non tumour",
    "nontumor",
    "nontumour",
    "non malignant",
    "healthy",
    "immune cells",
    "inflammation",
)
IGNORE_NAMES = (
    "ignore",
    "ignore*",
    "poor quality",
    "other",
    "artifact",
    "artefact",
    "region*",
    "necrosis",
    "exclude",
    "unknown",
)

_SEPARATORS = re.compile(r"[\s_\-]+")


def normalise_name(name: str) -> str:
    """The form in which class names are compared."""
    return _SEPARATORS.sub(" ", name).strip().lower()


def _defaults() -> dict[str, PixelLabel]:
    table = {name: PixelLabel.MALIGNANT for name in MALIGNANT_NAMES}
    table |= {name: PixelLabel.BENIGN for name in BENIGN_NAMES}
    table |= {name: PixelLabel.IGNORE for name in IGNORE_NAMES}
    return table


@dataclass(frozen=True)
class ClassMapping:
    """Annotation class names to pixel labels: the built-in names plus the user's own."""

    extra: Mapping[str, PixelLabel] = field(default_factory=dict)

    @classmethod
    def parse(cls, entries: Iterable[str]) -> "ClassMapping":
        """Mappings written NAME=malignant|benign|ignore (the command line's --class)."""
        extra: dict[str, PixelLabel] = {}
        for entry in entries:
            name, _, value = entry.rpartition("=")
            label = _LABEL_WORDS.get(value.strip().lower())
            if not name.strip() or label is None:
                raise AnnotationError(
                    f"class mapping {entry!r} is not NAME=malignant, NAME=benign or NAME=ignore"
                )
            extra[normalise_name(name)] = label
        return cls(extra)

    def require(self, names: Sequence[str], where: str) -> PixelLabel:
        """The label of a region named `names`, or an error that says how to map them."""
        label = self.label_of(names)
        if label is None:
            shown = ", ".join(repr(name) for name in names) or "no class"
            raise AnnotationError(
                f"{where}: annotation class {shown} is not a known malignant, benign or ignore "
                f"name; map it with --class NAME=malignant|benign|ignore"
            )
        return label

    def label_of(self, names: Iterable[str]) -> PixelLabel | None:
        """The label of the first of `names` (label, then coded meaning) that is known."""
        table = {**_defaults(), **{normalise_name(k): v for k, v in self.extra.items()}}
        for name in names:
            label = table.get(normalise_name(name))
            if label is not None:
                return label
        return None


_LABEL_WORDS = {
    "malignant": PixelLabel.MALIGNANT,
    "benign": PixelLabel.BENIGN,
    "ignore": PixelLabel.IGNORE,
}
