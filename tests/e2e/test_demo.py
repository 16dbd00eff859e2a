"""`pathsentry demo`, as a newcomer runs it: slides made, sent, analysed, exported, ranked."""

import subprocess
import sys
from pathlib import Path

import pytest
from pydicom import dcmread

from tests.e2e.harness import SEG_CLASS, SR_CLASS

pytestmark = pytest.mark.slow


def test_the_demo_ranks_its_slides_and_delivers_seg_and_sr(tmp_path: Path) -> None:
    command = [sys.executable, "-c", "from plugin.cli import main; main()", "demo"]
    run = subprocess.run(
        [*command, "--dir", str(tmp_path), "--exit", "--slides", "3"],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    assert "Worklist" in run.stdout
    rows = [line for line in run.stdout.splitlines() if "SYN-DEMO" in line]
    # Slides 1-2 are case DEMO-1 (benign + malignant), slide 3 is DEMO-2 (benign).
    cells = [[cell.strip() for cell in row.split("│")[2:4]] for row in rows]
    assert cells == [["SYN-DEMO-1", "suspicious"], ["SYN-DEMO-2", "routine"]]
    classes = [
        str(dcmread(path, stop_before_pixels=True).SOPClassUID)
        for path in (tmp_path / "inbox").glob("*.dcm")
    ]
    assert classes.count(SR_CLASS) == 3
    assert classes.count(SEG_CLASS) >= 3
    assert "dashboard: http://127.0.0.1:" in run.stderr
    assert (tmp_path / "pathsentry.log").stat().st_size > 0
