""".ci/image-smoke (the image build CI runs) without podman: skipped with a message, or failed
under PATHSENTRY_TEST_STRICT=1, before it builds anything."""

import os
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parent.parent / ".ci" / "image-smoke"


def _run_without_podman(tmp_path: Path, strict: str) -> subprocess.CompletedProcess[str]:
    """The script with a PATH that holds only what it needs before it looks for podman."""
    tools = tmp_path / "bin"
    tools.mkdir()
    for name in ("bash", "dirname"):
        (tools / name).symlink_to(f"/usr/bin/{name}")
    environment = {**os.environ, "PATH": str(tools), "PATHSENTRY_TEST_STRICT": strict}
    return subprocess.run(
        [str(tools / "bash"), str(SCRIPT)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.mark.parametrize(("strict", "returncode"), [("", 0), ("1", 1)])
def test_without_podman_it_says_so_and_fails_only_when_strict(
    tmp_path: Path, strict: str, returncode: int
) -> None:
    result = _run_without_podman(tmp_path, strict)
    assert result.returncode == returncode, result.stderr
    assert "podman is not installed" in result.stderr
    assert ("skipped" in result.stderr) == (returncode == 0)
