"""glibc's malloc, tuned for the large short-lived tensors of inference on a CPU.

By default glibc gives freed memory at the top of its heap back to the kernel and maps
large blocks afresh, so each batch page-faults its activations in again. Keeping freed
memory bounds the resident size by its peak instead.

That holds for the main arena only: glibc gives each thread that allocates an arena of its
own, whose heaps cannot grow past 64 MiB, so a thread's large blocks are mapped afresh
whatever the threshold: `pathsentry bench`'s `stream_efficiency`, whose model runs on
worker threads as in `serve`, went from 0.51-0.54 to 0.84-0.87 with one arena
(bench/results/cpu-amd-epyc-demo-one-arena.json).
So every thread shares the main arena; call this before the process starts its threads
(an arena made before stays in use). Called by the commands that run the model (`serve`,
`worker` and `bench` when it runs on a CPU), never by library code.
"""

import ctypes
import ctypes.util
import logging
import sys

log = logging.getLogger(__name__)

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
_M_ARENA_MAX = -8
_MMAP_THRESHOLD = 1 << 30  # blocks below 1 GiB come from the heap and are reused
_TRIM_THRESHOLD = (1 << 31) - 1  # never shrink the heap


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory for reuse; False where that is not glibc (no change)."""
    if not sys.platform.startswith("linux"):
        return False
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        mallopt = None
    if mallopt is None:
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    settings = (
        (_M_ARENA_MAX, 1),
        (_M_MMAP_THRESHOLD, _MMAP_THRESHOLD),
        (_M_TRIM_THRESHOLD, _TRIM_THRESHOLD),
    )
    done = all(bool(mallopt(option, value)) for option, value in settings)
    log.debug("malloc keeps freed memory: %s", done)
    return done
