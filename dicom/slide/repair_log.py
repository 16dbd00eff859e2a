"""The repairs made while opening a slide, one line each, the files they concern merged."""


class RepairLog:
    """Collects what was repaired or left out; the same repair of several files is one line."""

    def __init__(self) -> None:
        self._files: dict[str, list[str]] = {}

    def add(self, text: str, *files: str) -> None:
        """Record `text` (which names no file) as done to `files` (none: to the slide)."""
        names = self._files.setdefault(text, [])
        names.extend(name for name in files if name not in names)

    def lines(self) -> tuple[str, ...]:
        """One line per repair, in the order first recorded, prefixed by the files it concerns."""
        return tuple(
            f"{', '.join(files)}: {text}" if files else text for text, files in self._files.items()
        )
