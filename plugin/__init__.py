"""The service: command line, wiring, job pipeline, workers, web API and dashboard."""
