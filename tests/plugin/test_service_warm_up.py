"""`serve` with the analysis role compiles its model at start, before any job, into a compile
cache under the data directory; its health says "warming" meanwhile."""

import logging
import os
from pathlib import Path

import httpx
import pytest

from config import DbSettings, InferenceSettings, JobSettings, Settings, StorageSettings
from plugin.roles import Role
from plugin.service import start_service
from tests.e2e.harness import wait_until
from tests.plugin.slides import tiny_model


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_serve_compiles_at_start_into_the_data_directory(
    tmp_path: Path,
    sqlite_url: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for variable in ("TORCHINDUCTOR_CACHE_DIR", "TRITON_CACHE_DIR"):
        monkeypatch.setenv(variable, "")  # unset for the service; restored afterwards
    weights = tiny_model(tmp_path / "tiny.safetensors")
    settings = Settings(
        storage=StorageSettings(data_dir=tmp_path / "data"),
        db=DbSettings(url=sqlite_url),
        jobs=JobSettings(poll_interval_s=0.05),
        inference=InferenceSettings(
            weights=weights, device="cpu", compile=True, tile_size=128, tile_keep=96, batch_size=1
        ),
    )
    caplog.set_level(logging.INFO)
    service = start_service(settings, roles=frozenset({Role.ANALYSIS}), health_port=0)
    try:
        assert service.health_server is not None
        url = f"http://127.0.0.1:{service.health_server.port}/healthz"
        warming = httpx.get(url, timeout=10)
        assert (warming.status_code, warming.json()["status"]) == (200, "warming")
        assert warming.json()["roles"]["analysis"] == "warming up"
        assert service.workers is not None
        workers = service.workers
        wait_until(lambda: workers.health() == "ok", "the warm-up", timeout_s=540)
        assert httpx.get(url, timeout=10).json()["status"] == "ok"
    finally:
        service.stop(30)
    cache = tmp_path / "data" / "cache"
    assert os.environ["TORCHINDUCTOR_CACHE_DIR"] == str(cache / "torchinductor")
    assert os.environ["TRITON_CACHE_DIR"] == str(cache / "triton")
    assert any((cache / "torchinductor").rglob("*.py"))  # what inductor compiled
    messages = [r.getMessage() for r in caplog.records]
    assert messages.index("warming up cpu before its first job") < next(
        i for i, m in enumerate(messages) if m.startswith("cpu is warm (")
    )
