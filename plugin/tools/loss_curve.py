"""The loss curve of a training run as a PNG (matplotlib, drawn off screen)."""

from pathlib import Path

import numpy as np
from matplotlib.figure import Figure

from inference.training import TrainingHistory

# Steps over which the training loss is averaged for the smooth line.
_SMOOTHING = 50


def write_loss_curve(history: TrainingHistory, path: Path) -> Path:
    """Training loss per step (raw and smoothed), validation loss and Dice; returns `path`."""
    figure = Figure(figsize=(8, 4.5), dpi=110)
    loss_axes = figure.add_subplot(1, 1, 1)
    steps, losses = np.array(history.steps), np.array(history.losses)
    if len(steps):
        loss_axes.plot(steps, losses, color="#9ecae1", linewidth=0.6, label="training loss (step)")
        window = min(_SMOOTHING, len(losses))
        smooth = np.convolve(losses, np.ones(window) / window, mode="valid")
        loss_axes.plot(
            steps[window - 1 :],
            smooth,
            color="#08519c",
            label=f"training loss ({window}-step mean)",
        )
    validations = history.validations
    if validations:
        val_steps = [entry["step"] for entry in validations]
        loss_axes.plot(
            val_steps,
            [entry["loss"] for entry in validations],
            "o-",
            color="#d94801",
            label="validation loss",
        )
        dice_axes = loss_axes.twinx()
        dice_axes.plot(
            val_steps,
            [entry["dice"] for entry in validations],
            "s--",
            color="#238b45",
            label="validation Dice",
        )
        dice_axes.set_ylim(0, 1)
        dice_axes.set_ylabel("Dice (malignant pixels)")
    loss_axes.set_xlabel("step")
    loss_axes.set_ylabel("binary cross-entropy")
    loss_axes.set_yscale("log")
    # One legend for both axes, in the corner the falling loss curves leave empty.
    handles, labels = [], []
    for axes in figure.axes:
        more_handles, more_labels = axes.get_legend_handles_labels()
        handles += more_handles
        labels += more_labels
    loss_axes.legend(handles, labels, loc="lower left", fontsize="small")
    loss_axes.grid(alpha=0.3)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path)
    return path
