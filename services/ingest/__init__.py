"""Watchfloor ingest."""
