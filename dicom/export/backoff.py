"""Bounded exponential back-off between export attempts."""

import random

from config.settings import ExportSettings


def next_delay(
    attempt: int,
    initial: float,
    maximum: float,
    *,
    jitter: float = 0.0,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait after failed attempt number `attempt` (1 for the first failure):
    initial, 2 x initial, 4 x initial ... never more than `maximum`.

    With `jitter` (0 to 1), the delay is shortened by a random fraction up to `jitter`, so that
    results that failed together do not all retry together; pass a seeded `rng` to make it
    deterministic (default: the module's shared generator).
    """
    if attempt < 1:
        raise ValueError(f"attempt counts from 1; got {attempt}")
    if not 0 < initial <= maximum:
        raise ValueError(f"need 0 < initial <= maximum; got {initial} and {maximum}")
    if not 0 <= jitter <= 1:
        raise ValueError(f"jitter must be 0 to 1; got {jitter}")
    # Beyond 2**64 x initial the cap applies anyway; this keeps the power finite.
    delay = min(maximum, initial * 2.0 ** min(attempt - 1, 64))
    if jitter:
        delay *= 1.0 - jitter * (rng or random).random()
    return delay


def retry_delay(
    settings: ExportSettings,
    attempts: int,
    *,
    jitter: float = 0.0,
    rng: random.Random | None = None,
) -> float | None:
    """Seconds until the next attempt after `attempts` failed ones, or None when the settings'
    max_attempts are used up (the export then waits for a person)."""
    if attempts >= settings.max_attempts:
        return None
    return next_delay(
        attempts, settings.initial_backoff_s, settings.max_backoff_s, jitter=jitter, rng=rng
    )
