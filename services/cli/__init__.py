"""Watchfloor cli."""
