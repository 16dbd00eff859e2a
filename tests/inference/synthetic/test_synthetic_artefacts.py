"""Scan artefacts land where their truth says, the same for a seed, and the same in any tile."""

import numpy as np
import pytest
from scipy import ndimage

from inference.synthetic import (
    ArtefactKind,
    ArtefactSpec,
    SyntheticSlideError,
    make_artefact_slide,
    render_labels,
    render_region,
)

SPACING = 1.0
SIZE_UM = (1200.0, 900.0)
FAR_UM = 60  # beyond this distance from its truth an artefact changes nothing


def _render(kind: str, seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Clean pixels, artefact pixels, the artefact's truth and the tissue, at SPACING."""
    slide = make_artefact_slide("benign", seed, *SIZE_UM, (ArtefactSpec.parse(kind),))
    width, height = slide.size_at(SPACING)
    clean = render_region(slide.layout, SPACING, 0, 0, width, height)
    drawn = slide.render(SPACING, 0, 0, width, height)
    truth = slide.truth(SPACING)[ArtefactKind(kind.split(":")[0])]
    tissue = render_labels(slide.layout, SPACING, 0, 0, width, height) > 0
    return clean, drawn, truth, tissue


@pytest.mark.parametrize("kind", ["blur", "pen", "fold", "bubble", "bubble:edge"])
def test_pixels_change_inside_the_truth_and_nowhere_far_from_it(kind: str) -> None:
    clean, drawn, truth, tissue = _render(f"{kind}:strength=0.8:area=0.1")
    assert truth.any()
    changed = np.abs(drawn.astype(int) - clean.astype(int)).sum(axis=2)
    seen = truth & tissue
    assert seen.sum() > 0.02 * tissue.sum()
    assert np.mean(changed[seen] > 6) > 0.5  # most of the artefact on tissue is visibly changed
    near = ndimage.binary_dilation(truth, iterations=round(FAR_UM / SPACING))
    assert not changed[~near].any()


def test_each_kind_looks_as_it_does_on_a_slide() -> None:
    clean, drawn, truth, tissue = _render("pen:ink=blue")
    glass = truth & ~tissue
    assert drawn[glass][:, 2].mean() > drawn[glass][:, 0].mean() + 40  # blue ink on glass
    clean, drawn, truth, tissue = _render("fold")
    inside = truth & tissue
    assert drawn[inside].mean() < clean[inside].mean() - 20  # doubled tissue is darker
    clean, drawn, truth, tissue = _render("bubble")
    inside = ndimage.binary_erosion(truth, iterations=20) & tissue
    assert drawn[inside].mean() > clean[inside].mean() + 15  # washed out inside the rim
    clean, drawn, truth, tissue = _render("blur")
    inside = ndimage.binary_erosion(truth, iterations=50) & tissue
    sharp = ndimage.laplace(clean[..., 1].astype(float))[inside].std()
    blurred = ndimage.laplace(drawn[..., 1].astype(float))[inside].std()
    assert blurred < 0.3 * sharp  # the focus measure collapses


def test_same_seed_same_artefacts_other_seed_elsewhere() -> None:
    specs = (ArtefactSpec.parse("pen"), ArtefactSpec.parse("bubble:area=0.05"))
    first = make_artefact_slide("malignant", 7, *SIZE_UM, specs)
    again = make_artefact_slide("malignant", 7, *SIZE_UM, specs)
    other = make_artefact_slide("malignant", 8, *SIZE_UM, specs)
    assert np.array_equal(first.render(2.0, 0, 0, 600, 450), again.render(2.0, 0, 0, 600, 450))
    masks, others = first.truth(4.0), other.truth(4.0)
    assert not np.array_equal(masks[ArtefactKind.PEN], others[ArtefactKind.PEN])


def test_a_tile_is_the_same_pixels_as_the_whole_render() -> None:
    specs = tuple(ArtefactSpec.parse(k) for k in ("blur:area=0.3", "pen", "fold", "bubble"))
    slide = make_artefact_slide("benign", 3, *SIZE_UM, specs)
    whole = slide.render(SPACING, 0, 0, 1200, 900)
    for x, y in ((0, 0), (300, 200), (640, 512), (1000, 700)):
        tile = slide.render(SPACING, x, y, 200, 200)
        assert np.array_equal(tile, whole[y : y + 200, x : x + 200]), (x, y)


def test_truth_agrees_across_spacings() -> None:
    specs = tuple(ArtefactSpec.parse(k) for k in ("blur", "pen", "fold", "bubble"))
    slide = make_artefact_slide("benign", 3, *SIZE_UM, specs)
    fine, coarse = slide.truth(2.0), slide.truth(4.0)
    for kind, mask in fine.items():
        halved = mask[: coarse[kind].shape[0] * 2 : 2, : coarse[kind].shape[1] * 2 : 2]
        assert np.mean(halved == coarse[kind]) > 0.98, kind


def test_in_memory_pyramid_carries_the_artefacts_on_every_level() -> None:
    slide = make_artefact_slide("benign", 3, *SIZE_UM, (ArtefactSpec.parse("pen:ink=black"),))
    clean = make_artefact_slide("benign", 3, *SIZE_UM).source(SPACING, 3)
    source = slide.source(SPACING, 3)
    for index, level in enumerate(source.levels):
        truth = slide.truth(level.pixel_spacing_um)[ArtefactKind.PEN]
        pixels = source.read_region(index, 0, 0, level.width, level.height).astype(int)
        plain = clean.read_region(index, 0, 0, level.width, level.height).astype(int)
        darker = (plain - pixels).sum(axis=2) > 30
        inner = ndimage.binary_erosion(truth, iterations=2)
        assert darker[inner].mean() > 0.9, index
        far = ~ndimage.binary_dilation(truth, iterations=3)
        assert not darker[3:-3, 3:-3][far[3:-3, 3:-3]].any(), index  # (ink may lie past the edge)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("smudge", "unknown kind 'smudge'"),
        ("pen:strength=1.5", "strength=1.5 must be in (0, 1]"),
        ("blur:area=0", "area=0.0 must be in (0, 1]"),
        ("fold:area=lots", "area='lots' is not a number"),
        ("blur:ink=red", "ink='red' is only for pen"),
        ("pen:ink=purple", "ink='purple' is only for pen"),
        ("pen:width=3", "'width=3' is not strength=S"),
        ("pen:area=0.1:area=0.2", "each at most once"),
        ("pen:edge", "edge is only for bubble"),
        ("bubble:edge=yes", "'edge=yes' is not strength=S"),
    ],
)
def test_bad_specs_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(SyntheticSlideError) as caught:
        ArtefactSpec.parse(text)
    assert message in str(caught.value)


def test_specs_read_back_as_written() -> None:
    spec = ArtefactSpec.parse(" PEN:strength=0.8:area=0.1:ink=Blue ")
    assert spec == ArtefactSpec(ArtefactKind.PEN, 0.8, 0.1, "blue")
    assert ArtefactSpec.parse(spec.describe()) == spec
    assert ArtefactSpec.parse("bubble") == ArtefactSpec(ArtefactKind.BUBBLE)
    edge = ArtefactSpec.parse("bubble:edge:area=0.3")
    assert edge == ArtefactSpec(ArtefactKind.BUBBLE, area=0.3, edge=True)
    assert ArtefactSpec.parse(edge.describe()) == edge


def test_a_coverslip_edge_leaves_about_the_asked_share_of_tissue_uncovered() -> None:
    clean, drawn, truth, tissue = _render("bubble:edge:area=0.3")
    share = np.count_nonzero(truth & tissue) / np.count_nonzero(tissue)
    assert share == pytest.approx(0.3, abs=0.05)
    inside = ndimage.binary_erosion(truth, iterations=30) & tissue
    assert drawn[inside].mean() > clean[inside].mean() + 15


@pytest.mark.parametrize("kind", ["blur", "pen", "fold", "bubble"])
def test_area_is_the_share_of_the_tissue_covered(kind: str) -> None:
    for seed in (1, 2):
        slide = make_artefact_slide(
            "malignant", seed, *SIZE_UM, (ArtefactSpec.parse(f"{kind}:area=0.2"),)
        )
        width, height = slide.size_at(4.0)
        tissue = render_labels(slide.layout, 4.0, 0, 0, width, height) > 0
        truth = slide.truth(4.0)[ArtefactKind(kind)]
        share = np.count_nonzero(truth & tissue) / np.count_nonzero(tissue)
        assert share == pytest.approx(0.2, abs=0.03), seed
