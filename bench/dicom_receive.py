"""DICOM receive throughput: PathSentry's ingest against dcmtk's storescp, same machine, same file.

dcmtk's storescu sends the same synthetic slide (about 500 MB, JPEG baseline) to each receiver
in turn, several rounds, each to a fresh output folder: storescp in bit-preserving mode (it
writes the received bytes as they come, no fsync), and the ingest service (stored, synced,
digested, indexed in SQLite, slide completed and its job queued before the release is
answered). The two take turns going first. Prints one JSON object: MB/s of both (median and best
of the rounds), the ratio of the medians and the median and spread of the rounds' own ratios,
each receiver's CPU seconds per round (user and system; on a shared machine steadier than the
rates), and the service's peak memory when idle and after receiving.

Usage: PYTHONPATH=. python bench/dicom_receive.py [--megabytes 500] [--rounds 5] [--slide DIR]
The service runs in a child process of this script (`--serve`), so that its memory is its own.
"""

import argparse
import json
import math
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from dicom.wsi import PyramidSpec, synthetic_identity, write_pyramid

# JPEG q90 of the noisy texture below, and the base level's share of the file sizes (measured),
# to size the slide.
BASE_BYTES_PER_PIXEL = 1.16
BASE_SHARE = 0.815
HOST = "127.0.0.1"
TITLE = "PATHSENTRY"


class NoisyRenderer:
    """Busy, tissue-coloured pixels that JPEG cannot squeeze much: a large slide, quickly."""

    def __init__(self, seed: int = 0, period: int = 2048) -> None:
        rng = np.random.default_rng(seed)
        noise = rng.normal(0, 80, (period, period, 3))
        self._texture = np.clip(np.array([205.0, 140.0, 180.0]) + noise, 0, 255).astype(np.uint8)
        self._period = period

    def __call__(self, x: int, y: int, width: int, height: int) -> np.ndarray:
        rows = self._texture[np.arange(y, y + height) % self._period]
        repeats = -(-(x % self._period + width) // self._period)
        start = x % self._period
        return np.tile(rows, (1, repeats, 1))[:, start : start + width]


def make_slide(folder: Path, megabytes: float) -> list[Path]:
    """A synthetic slide of about `megabytes` (reused when the folder already holds one)."""
    existing = sorted(folder.glob("level-*.dcm"))
    if existing:
        return existing
    side = int(math.sqrt(megabytes * 1e6 * BASE_SHARE / BASE_BYTES_PER_PIXEL))
    spec = PyramidSpec(side, side, tile_size=512, jpeg_quality=90)
    return write_pyramid(folder, NoisyRenderer(), spec, synthetic_identity(7))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def send(port: int, files: list[Path]) -> float:
    """Seconds for storescu to send the slide over one association (connect to release)."""
    command = ["storescu", "-R", "-xy", "-aec", TITLE, HOST, str(port), *map(str, files)]
    started = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"storescu failed: {result.stderr[-2000:]}")
    return elapsed


def storescp_round(files: list[Path], work: Path) -> tuple[float, float]:
    """Seconds to send, and storescp's CPU seconds meanwhile."""
    out = work / "storescp"
    out.mkdir()
    port = free_port()
    command = ["storescp", "+B", "+xa", "-pm", "--max-pdu", "131072", "-aet", TITLE]
    server = subprocess.Popen([*command, "-od", str(out), str(port)])
    try:
        _wait_for_port(port)
        before = _cpu_seconds(server.pid)
        seconds = send(port, files)
        return seconds, _cpu_seconds(server.pid) - before
    finally:
        server.terminate()
        server.wait(10)
        shutil.rmtree(out)


def service_round(files: list[Path], work: Path) -> tuple[float, float, dict[str, Any]]:
    """Seconds to send, the service's CPU seconds meanwhile, and its memory."""
    data = work / "service"
    port = free_port()
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(data), str(port)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        if child.stdout.readline().strip() != "ready":
            raise RuntimeError("the ingest service did not start")
        before = _cpu_seconds(child.pid)
        seconds = send(port, files)
        cpu = _cpu_seconds(child.pid) - before
        child.stdin.close()
        memory: dict[str, Any] = json.loads(child.stdout.readline())
    finally:
        child.wait(30)
        shutil.rmtree(data, ignore_errors=True)
    return seconds, cpu, memory


def serve(data: Path, port: int) -> None:
    """Child: run the ingest service until stdin closes, then print its memory as JSON."""
    from config import DbSettings, DicomSettings, Settings, StorageSettings
    from db.migrate import upgrade
    from db.session import open_database
    from plugin.ingest import start_ingest

    settings = Settings(
        dicom=DicomSettings(host=HOST, port=port, min_free_space_mb=0),
        storage=StorageSettings(data_dir=data),
        db=DbSettings(url=f"sqlite:///{data / 'pathsentry.db'}"),
    )
    upgrade(settings.database_url)
    database = open_database(settings)
    service = start_ingest(settings, database)
    idle_mb = _rss_mb()
    print("ready", flush=True)
    sys.stdin.read()
    service.stop()
    database.dispose()
    print(json.dumps({"idle_rss_mb": round(idle_mb), "peak_rss_mb": round(_peak_mb())}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=float, default=500)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--slide", type=Path, default=None, help="folder to keep the slide in")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.slide and args.slide.parent) as scratch:
        work = Path(scratch)
        folder = args.slide or work / "slide"
        files = make_slide(folder, args.megabytes)
        size = sum(path.stat().st_size for path in files)
        rounds = [_round(files, work, storescp_first=n % 2 == 0) for n in range(args.rounds)]
    print(json.dumps(_report(files, size, rounds), indent=2))


Round = tuple[tuple[float, float], tuple[float, float, dict[str, Any]]]


def _round(files: list[Path], work: Path, *, storescp_first: bool) -> Round:
    if storescp_first:
        return storescp_round(files, work), service_round(files, work)
    service = service_round(files, work)
    return storescp_round(files, work), service


def _report(files: list[Path], size: int, rounds: list[Round]) -> dict[str, Any]:
    def rate(seconds: float) -> float:
        return round(size / 1e6 / seconds, 1)

    storescp = [rate(dcmtk[0]) for dcmtk, _ in rounds]
    service = [rate(ours[0]) for _, ours in rounds]
    ratios = [round(ours / dcmtk, 2) for ours, dcmtk in zip(service, storescp, strict=True)]
    return {
        "slide_mb": round(size / 1e6, 1),
        "files": len(files),
        "rounds": len(rounds),
        "storescp_mb_per_s": {"median": statistics.median(storescp), "best": max(storescp)},
        "pathsentry_mb_per_s": {"median": statistics.median(service), "best": max(service)},
        "ratio_median": round(statistics.median(service) / statistics.median(storescp), 2),
        "ratio_best": round(max(service) / max(storescp), 2),
        "round_ratios": {
            "median": statistics.median(ratios),
            "min": min(ratios),
            "max": max(ratios),
        },
        "cpu_seconds_median": {
            "storescp": round(statistics.median(dcmtk[1] for dcmtk, _ in rounds), 2),
            "pathsentry": round(statistics.median(ours[1] for _, ours in rounds), 2),
        },
        "pathsentry_idle_rss_mb": max(ours[2]["idle_rss_mb"] for _, ours in rounds),
        "pathsentry_peak_rss_mb": max(ours[2]["peak_rss_mb"] for _, ours in rounds),
        "per_round_mb_per_s": {"storescp": storescp, "pathsentry": service},
        "per_round_ratio": ratios,
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
    }


def _cpu_seconds(pid: int) -> float:
    """User and system CPU seconds of a running process (all its threads, ended ones too)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _rss_mb() -> float:
    return _status_kb("VmRSS") / 1024


def _peak_mb() -> float:
    # Not ru_maxrss: on Linux it keeps the parent's peak across fork and exec.
    return _status_kb("VmHWM") / 1024


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status (the bench needs Linux)")


def _wait_for_port(port: int) -> None:
    for _ in range(500):
        with socket.socket() as probe:
            if probe.connect_ex((HOST, port)) == 0:
                return
        time.sleep(0.01)
    raise RuntimeError(f"storescp did not listen on {port}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve(Path(sys.argv[2]), int(sys.argv[3]))
    else:
        main()
