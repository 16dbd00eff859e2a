"""Deterministic UIDs and the UID syntax check."""

import pytest

from dicom.uids import derived_uid, is_valid_uid


def test_derived_uids_are_valid_2_25_uids_that_repeat() -> None:
    uid = derived_uid("slide", 7, "series")
    assert uid.startswith("2.25.")
    assert is_valid_uid(uid)
    assert uid == derived_uid("slide", 7, "series")
    assert int(uid.removeprefix("2.25.")) < 2**128


def test_different_names_give_different_uids() -> None:
    assert derived_uid("slide", 7) != derived_uid("slide", 8)
    assert derived_uid("ab", "c") != derived_uid("a", "bc")


@pytest.mark.parametrize(
    ("value", "valid"),
    [
        ("1.2.840.10008.5.1.4.1.1.77.1.6", True),
        ("2.25.0", True),
        ("1.02.3", False),
        ("1..2", False),
        ("1.2.", False),
        ("1.2.a", False),
        ("", False),
        ("1." + "1" * 63, False),
    ],
)
def test_uid_syntax(value: str, valid: bool) -> None:
    assert is_valid_uid(value) is valid
