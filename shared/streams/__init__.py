"""Reliable Redis Streams plumbing on FastStream: codec, groups, reclaim, dead letters."""
