"""Watchfloor classifier."""
