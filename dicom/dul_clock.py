"""The `time` module as pynetdicom's DUL module sees it: the same, except that a DUL reactor's
idle sleep (its `_run_loop_delay`) ends as soon as its connection has bytes to read.

pynetdicom's DUL reactor polls its socket and, when nothing has arrived, sleeps a millisecond
before it looks again. While a sender streams a slide, that sleep comes whenever the receiver
has caught up: the bytes that arrive meanwhile wait in the socket buffer and, once it is full,
stop the sender. Waiting on the socket for at most the same time keeps every other behaviour
(primitives to send, timers, stopping are looked at no later than before) and reads the next
PDU when it arrives.
"""

import select
import threading
import time
from types import ModuleType
from typing import Any

from pynetdicom.dul import DULServiceProvider


class DulClock(ModuleType):
    """Stands in for `time` in pynetdicom.dul."""

    def __init__(self) -> None:
        super().__init__("time")

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(seconds: float) -> None:
        provider = threading.current_thread()
        if isinstance(provider, DULServiceProvider) and seconds == provider._run_loop_delay:
            connection = _connection(provider)
            if connection is not None:
                try:
                    select.select([connection], [], [], seconds)
                    return
                except (OSError, ValueError):  # closed meanwhile: the reactor finds out itself
                    pass
        time.sleep(seconds)


def _connection(provider: DULServiceProvider) -> Any:
    wrapper = provider.socket
    connection = None if wrapper is None else wrapper.socket
    if connection is None or connection.fileno() < 0:
        return None
    return connection
