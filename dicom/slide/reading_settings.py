"""The one place wsidicom's settings are chosen, given to each slide opened (never set globally).

wsidicom settings are a frozen dataclass; passing them per slide leaves wsidicom's process-wide
default alone, so nothing else in the process (or a test) depends on the order of imports.
"""

from functools import cache

from wsidicom.config import Settings

from dicom.slide.selection import LEVEL_SCALE_TOLERANCE


@cache
def wsidicom_settings() -> Settings:
    """Settings that accept what scanners and converters write and that the analysis can use."""
    return Settings(
        # Converters tile levels differently (e.g. 512 at the base, 256 above).
        strict_tile_size_check=False,
        # Levels may state no or differing frames of reference; the series decides.
        strict_uid_check=False,
        # Specimen metadata is not used for the analysis: never fail a slide on it.
        strict_specimen_identifier_check=False,
        ignore_specimen_preparation_step_on_validation_error=True,
        truncate_long_dicom_strings_on_validation_error=True,
        # The levels were chosen as powers of two apart, within this tolerance.
        level_scale_tolerance=LEVEL_SCALE_TOLERANCE,
    )
