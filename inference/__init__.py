"""Torch and numpy only: the model, tissue detection, tiling, engine, training and evaluation."""
