"""Watchfloor notifier."""
