"""`pathsentry synth`: write a synthetic whole-slide image as a DICOM pyramid."""

from pathlib import Path
from typing import Annotated

import typer


def synth(
    out: Annotated[Path, typer.Argument(help="Folder to write the slide's DICOM files into.")],
) -> None:
    """Write a synthetic H&E slide (DICOM VL Whole Slide Microscopy) and its ground truth."""
    raise NotImplementedError(out)
