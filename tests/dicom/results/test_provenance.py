"""The algorithm's description and the deterministic UIDs of a result."""

from dataclasses import replace

import pytest

from dicom.results.errors import ResultWriteError
from dicom.results.provenance import Algorithm, ResultIdentity
from dicom.uids import is_valid_uid
from tests.dicom.results.writing import algorithm

SERIES = "1.2.3.4"


def test_uids_depend_on_slide_content_weights_and_settings_only() -> None:
    first = ResultIdentity(SERIES, algorithm(), "content-1")
    assert first.uid("seg", 1) == ResultIdentity(SERIES, algorithm(), "content-1").uid("seg", 1)
    others = [
        ResultIdentity("1.2.3.5", algorithm(), "content-1"),
        ResultIdentity(SERIES, algorithm(), "content-2"),
        ResultIdentity(SERIES, algorithm(weights="cd" * 32), "content-1"),
        ResultIdentity(SERIES, replace(algorithm(), settings_digest="settings-0002"), "content-1"),
    ]
    assert all(other.uid("seg", 1) != first.uid("seg", 1) for other in others)
    assert first.uid("seg", 1) != first.uid("seg", 2)
    for uid in (first.uid("seg", 1), first.sr_series_uid, first.sr_instance_uid, first.device_uid):
        assert is_valid_uid(uid)
    assert first.sr_instance_uid != others[1].sr_instance_uid


def test_the_device_is_the_model_not_the_slide() -> None:
    assert ResultIdentity(SERIES, algorithm()).device_uid == (
        ResultIdentity("1.2.3.5", algorithm()).device_uid
    )


def test_parameters_name_k_threshold_weights_and_settings() -> None:
    assert algorithm().parameters == {
        "top_k": "1000",
        "threshold": "0.5",
        "weights_sha256": "ab" * 32,
        "settings_digest": "settings-0001",
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "name"),
        ({"version": "a\\b"}, "version"),
        ({"weights_sha256": "not hex!"}, "weights_sha256"),
        ({"top_k": 0}, "top_k"),
        ({"threshold": 1.5}, "threshold"),
    ],
)
def test_unusable_descriptions_are_refused(changes: dict[str, object], message: str) -> None:
    fields: dict[str, object] = {
        "name": "m",
        "version": "1",
        "weights_sha256": "ab",
        "settings_digest": "s",
        "top_k": 1,
        "threshold": 0.5,
    }
    with pytest.raises(ResultWriteError, match=message):
        Algorithm(**{**fields, **changes})  # type: ignore[arg-type]


def test_source_series_uid_must_be_a_uid() -> None:
    with pytest.raises(ResultWriteError, match="source_series_uid"):
        ResultIdentity("not-a-uid", algorithm())
