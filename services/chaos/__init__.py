"""The chaos suite: the real workers under a steady load while faults are
injected, then a count of what was owed, delivered, duplicated and lost.

``python -m watchfloor.services.chaos`` (``make chaos``) prints one JSON line.
"""
