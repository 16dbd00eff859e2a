"""Where torch.compile keeps what it compiled: under the data directory, so that a restart (or
the next device of the same host) reuses it instead of compiling for minutes again."""

import logging
import os
from pathlib import Path

log = logging.getLogger(__name__)

# The variables TorchInductor and Triton read each time they look for their caches.
CACHE_VARIABLES = {"TORCHINDUCTOR_CACHE_DIR": "torchinductor", "TRITON_CACHE_DIR": "triton"}


def use_compile_cache(data_dir: Path) -> dict[str, str]:
    """Point each compile cache not already set in the environment to `data_dir/cache/<name>`;
    returns every cache's folder. Call before the first model is compiled."""
    chosen = {}
    for variable, name in CACHE_VARIABLES.items():
        if not os.environ.get(variable):
            os.environ[variable] = str(data_dir / "cache" / name)
        chosen[variable] = os.environ[variable]
    log.debug("compile caches: %s", chosen)
    return chosen
