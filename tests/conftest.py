"""Suite-wide conventions: markers that need something absent skip, unless CI asks for all."""

import logging
import os
import shutil
from collections.abc import Iterator

import pytest

# CI sets this: a test whose tool or server is missing then fails instead of being skipped.
STRICT = os.environ.get("PATHSENTRY_TEST_STRICT") == "1"
# Set on a GPU machine: a `gpu` test then fails where CUDA is unavailable, so a broken CUDA
# set-up (wrong wheel, old driver) cannot pass by skipping.
REQUIRE_GPU = os.environ.get("PATHSENTRY_TEST_REQUIRE_GPU") == "1"

POSTGRES_URL = os.environ.get(
    "PATHSENTRY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _cuda_available() -> bool:
    import torch

    return bool(torch.cuda.is_available())


def _missing(marker: str) -> str | None:
    """Why a test with this marker cannot run here, or None when it can."""
    if marker == "orthanc" and shutil.which("Orthanc") is None:
        return "Orthanc is not installed (Debian package orthanc)"
    if marker == "browser" and shutil.which("chromium") is None:
        return "Chromium is not installed (Debian package chromium)"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if not any(item.get_closest_marker("gpu") for item in items):
        return
    if REQUIRE_GPU or _cuda_available():
        return
    for item in items:
        if item.get_closest_marker("gpu"):
            # No CUDA is a property of the machine, never an error, even in CI.
            item.add_marker(pytest.mark.skip(reason="needs a CUDA device"))


def pytest_runtest_setup(item: pytest.Item) -> None:
    if REQUIRE_GPU and item.get_closest_marker("gpu") and not _cuda_available():
        pytest.fail("PATHSENTRY_TEST_REQUIRE_GPU=1 but torch.cuda.is_available() is False")
    for marker in ("orthanc", "browser"):
        if item.get_closest_marker(marker):
            reason = _missing(marker)
            require(reason is None, reason or "")


def require(condition: bool, reason: str) -> None:
    """Skip the current test when `condition` is false, or fail it when CI asks for all tests."""
    if condition:
        return
    if STRICT:
        pytest.fail(f"required for this test run: {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """Commands under test configure logging onto streams that close when they return; put the
    process's logging back, so that later records of background threads go somewhere open."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)
