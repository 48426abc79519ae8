"""Watchlists: what officers subscribe to (model, YAML file, Redis store, HTTP API).

A peer that the ingest worker (which serves the API) and the notifier (which
matches and delivers) both stand on; it imports neither of them.
"""
