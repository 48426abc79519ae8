"""Watchfloor services: ingest, classifier, notifier, and the CLI."""
