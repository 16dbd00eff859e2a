"""Delivery of results to every destination, from the persisted export queue."""
