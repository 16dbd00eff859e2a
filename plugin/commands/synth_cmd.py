"""`pathsentry synth`: write a synthetic whole-slide image as a DICOM pyramid, with its truth."""

import json
import logging
from pathlib import Path
from typing import Annotated

import typer

from config import PathSentryError
from inference.synthetic import ArtefactSpec
from plugin.tools.synthetic_slide import SyntheticSlideRequest, write_synthetic_slide

log = logging.getLogger(__name__)


def synth(
    out: Annotated[Path, typer.Argument(help="Folder to write the slide into (created).")],
    kind: Annotated[
        str, typer.Option(help="malignant: 1-4 adenocarcinoma-like lesions; benign: none.")
    ] = "malignant",
    seed: Annotated[int, typer.Option(min=0, help="Same seed, same slide (byte for byte).")] = 0,
    width_mm: Annotated[float, typer.Option(min=0.5, max=60, help="Slide width.")] = 2.0,
    height_mm: Annotated[float, typer.Option(min=0.5, max=60, help="Slide height.")] = 1.5,
    spacing_um: Annotated[
        float, typer.Option(help="Base (40x) pixel spacing; level 1 is twice this.")
    ] = 0.238,
    case: Annotated[
        str | None,
        typer.Option(help="Fake case id (up to 12 characters); slides of one case share a study."),
    ] = None,
    tile_size: Annotated[int, typer.Option(help="Tile size of every level.")] = 512,
    jpeg_quality: Annotated[int, typer.Option(min=1, max=100, help="JPEG quality.")] = 90,
    artefact: Annotated[
        list[str] | None,
        typer.Option(
            help="A scan artefact to draw, KIND[:strength=S][:area=A][:ink=COLOUR][:edge]; "
            "KIND is blur (out of focus), pen (marker ink), fold (tissue folded over) or bubble "
            "(air under the coverslip; with edge: the coverslip's edge instead); S in (0, 1] how "
            "bad (default 0.7); A in (0, 1] about that share of the tissue (default 0.15); ink "
            "(pen only) blue, green, black or red (default: drawn from the seed). "
            "Repeat for several.",
        ),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Write a synthetic H&E slide as DICOM VL Whole Slide Microscopy, and its ground truth.

    OUT receives level-0.dcm (40x) ... level-N.dcm (thumbnail size), label.dcm and
    overview.dcm, all with clearly fake patient, study and specimen data; OUT/truth/ receives
    labels.png (0 glass, 1 benign tissue, 2 malignant, at the spacing in truth.json),
    annotations.geojson (lesion outlines in base-level pixels, as QuPath exports them) and
    truth.json. With --artefact, truth/ also receives artefacts-KIND.png per kind drawn
    (white where it lies, at the labels' spacing) and truth.json lists them.
    """
    try:
        specs = tuple(ArtefactSpec.parse(text) for text in artefact or ())
    except PathSentryError as error:
        raise typer.BadParameter(str(error), param_hint="--artefact") from None
    request = SyntheticSlideRequest(
        kind=kind,
        seed=seed,
        width_um=width_mm * 1000,
        height_um=height_mm * 1000,
        spacing_um=spacing_um,
        case=case,
        tile_size=tile_size,
        jpeg_quality=jpeg_quality,
        artefacts=specs,
    )
    written = write_synthetic_slide(out, request)
    if as_json:
        typer.echo(json.dumps(written.summary()))
    else:
        typer.echo(
            f"wrote {written.kind} slide {written.width} x {written.height} px "
            f"({len(written.levels)} levels, lesions {written.lesion_fraction:.1%} of tissue) "
            f"to {out}"
        )
        for kind, share in written.artefact_fractions.items():
            typer.echo(f"  {kind}: {share:.1%} of the tissue (truth/artefacts-{kind}.png)")
