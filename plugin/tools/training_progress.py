"""What `pathsentry train` shows while it runs: a progress bar with the loss, and files."""

import json
import logging
from pathlib import Path

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from inference.training import TrainingHistory
from plugin.tools.loss_curve import write_loss_curve

log = logging.getLogger(__name__)

HISTORY_NAME = "history.json"
LOSS_CURVE_NAME = "loss.png"
_LOG_EVERY = 50


def write_history(history: TrainingHistory, run_dir: Path) -> tuple[Path, Path]:
    """history.json and loss.png in the run folder."""
    path = run_dir / HISTORY_NAME
    path.write_text(json.dumps(history.to_dict()) + "\n")
    return path, write_loss_curve(history, run_dir / LOSS_CURVE_NAME)


class ProgressReporter:
    """A rich progress bar of steps on stderr, the loss in its text; history at checkpoints."""

    def __init__(self, run_dir: Path, quiet: bool) -> None:
        self._run_dir = run_dir
        self._console = Console(stderr=True)
        self._progress = Progress(
            TextColumn("training"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[loss]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self._console,
            disable=quiet,
        )
        self._task = self._progress.add_task("steps", total=None, loss="")

    def __enter__(self) -> "ProgressReporter":
        self._progress.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._progress.stop()

    def started(self, step: int, total: int) -> None:
        self._progress.update(self._task, total=total, completed=step)

    def stepped(self, step: int, loss: float, learning_rate: float) -> None:
        if not self._console.is_terminal and step % _LOG_EVERY == 0:
            # Without a terminal (nohup, CI) there is no bar: a line now and then instead.
            log.info("step %d: loss %.4f, learning rate %.2e", step, loss, learning_rate)
        self._progress.update(
            self._task, completed=step, loss=f"loss {loss:.4f} lr {learning_rate:.2e}"
        )

    def validated(self, step: int, figures: dict[str, float]) -> None:
        self._progress.console.print(
            f"step {step}: validation loss {figures['loss']:.4f}, Dice {figures['dice']:.3f}, "
            f"pixel accuracy {figures['accuracy']:.3f}",
            highlight=False,
        )

    def checkpointed(self, step: int, path: Path, history: TrainingHistory) -> None:
        write_history(history, self._run_dir)
        log.debug("checkpoint at step %d: %s", step, path)
