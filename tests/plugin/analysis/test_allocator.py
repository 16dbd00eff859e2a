"""glibc keeps freed memory for reuse, on worker threads as on the main one."""

import subprocess
import sys

import pytest

# A fresh process: a thread allocates a 256 MiB block and reports glibc's mapped bytes.
_THREAD_BLOCK = """
import ctypes, sys, threading
import numpy as np
from plugin.analysis.allocator import keep_freed_memory

if sys.argv[1] == "keep":
    assert keep_freed_memory()
names = ("arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost").split()
Info = type("Info", (ctypes.Structure,), {"_fields_": [(n, ctypes.c_size_t) for n in names]})
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
mapped = []

def work() -> None:
    block = np.ones(256 * 2**20, dtype=np.uint8)
    mapped.append(libc.mallinfo2().hblkhd)
    del block

thread = threading.Thread(target=work)
thread.start()
thread.join()
print(mapped[0])
"""

BLOCK = 256 * 2**20


def _mapped_bytes(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", _THREAD_BLOCK, mode], capture_output=True, text=True, check=True
    )
    return int(done.stdout)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc only")
def test_a_worker_threads_large_block_comes_from_the_reused_heap() -> None:
    # By default the thread's arena maps the block afresh (page faults on every batch)...
    assert _mapped_bytes("default") >= BLOCK
    # ... and with freed memory kept, every thread shares the main arena's reused heap.
    assert _mapped_bytes("keep") < BLOCK
