"""The offline tools: demo, synthetic slides, training progress, evaluation reports."""
