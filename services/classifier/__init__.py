"""Watchfloor classifier."""

from pathlib import Path

from watchfloor.services.classifier.native import native_path

PACKAGE_DIR = Path(__file__).parent
# compiled modules first, when a build of these very sources exists (native.py)
__path__, NATIVE = native_path(__path__, PACKAGE_DIR)
