"""The synthetic label image."""

import numpy as np

from dicom.wsi import make_label_image, synthetic_identity
from dicom.wsi.label import barcode_value, label_text


def test_the_label_is_black_print_on_white_and_repeatable() -> None:
    identity = synthetic_identity(3, "C9")
    label = make_label_image(identity)
    assert label.shape == (512, 512, 3) and label.dtype == np.uint8
    dark = (label < 64).all(axis=2).mean()
    assert 0.03 < dark < 0.5
    assert np.array_equal(label, make_label_image(identity))


def test_different_cases_give_different_labels() -> None:
    first = make_label_image(synthetic_identity(3, "C9"))
    second = make_label_image(synthetic_identity(3, "D1"))
    assert not np.array_equal(first, second)


def test_label_text_and_barcode_are_synthetic() -> None:
    identity = synthetic_identity(3, "C9")
    assert label_text(identity).startswith("SYNTHETIC")
    assert barcode_value(identity).startswith("SYN-")
