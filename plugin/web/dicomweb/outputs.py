"""The DICOM files a result wrote (SEG levels, SR), read in one place so their source can change."""

from pathlib import Path

from db.models import Result
from plugin.pipeline import OUTPUTS_KEY


def result_files(result: Result) -> list[Path]:
    """The result's DICOM outputs: the list in its stats, else its SEG and SR columns."""
    listed = result.stats.get(OUTPUTS_KEY) if isinstance(result.stats, dict) else None
    if isinstance(listed, list) and listed:
        return [Path(str(path)) for path in listed]
    return [Path(result.seg_path), Path(result.sr_path)]
