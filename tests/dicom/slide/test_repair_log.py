"""Repairs as the pipeline records them: one line per repair, its files merged."""

from dicom.slide.repair_log import RepairLog


def test_the_same_repair_of_several_files_is_one_line_in_first_order() -> None:
    repairs = RepairLog()
    repairs.add("PyramidUID is missing", "level-0.dcm")
    repairs.add("pixels are not square", "level-0.dcm")
    repairs.add("PyramidUID is missing", "level-1.dcm", "level-0.dcm")
    repairs.add("the levels form 2 pyramids")
    assert repairs.lines() == (
        "level-0.dcm, level-1.dcm: PyramidUID is missing",
        "level-0.dcm: pixels are not square",
        "the levels form 2 pyramids",
    )
