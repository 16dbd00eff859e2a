"""Serving a result's files (thumbnail, heatmap, QC picture, SEG, SR), only from inside the data
directory."""

import enum
from pathlib import Path

from fastapi.responses import FileResponse

from config import Settings
from db.errors import NotFoundError
from db.models import Result


class OutputKind(enum.StrEnum):
    """The files a result has."""

    THUMBNAIL = "thumbnail"
    HEATMAP = "heatmap"
    QC = "qc"
    SEG = "seg"
    SR = "sr"

    @property
    def is_dicom(self) -> bool:
        """SEG and SR are DICOM objects (downloads are audited); the rest are dashboard images."""
        return self in (OutputKind.SEG, OutputKind.SR)


def output_file(settings: Settings, result: Result, kind: OutputKind) -> FileResponse:
    """The file of `kind`; NotFoundError when absent or outside the data directory."""
    stored = {
        OutputKind.THUMBNAIL: result.thumbnail_path,
        OutputKind.HEATMAP: result.heatmap_path,
        OutputKind.QC: result.qc_path,
        OutputKind.SEG: result.seg_path,
        OutputKind.SR: result.sr_path,
    }[kind]
    path = Path(stored).resolve() if stored else None
    if path is None or not path.is_relative_to(settings.storage.data_dir.resolve()):
        raise NotFoundError(f"{kind} file of result", result.id)
    if not path.is_file():
        raise NotFoundError(f"{kind} file of result", result.id)
    if not kind.is_dicom:
        return FileResponse(path, media_type="image/png")
    return FileResponse(path, media_type="application/dicom", filename=f"{kind}-{result.id}.dcm")
