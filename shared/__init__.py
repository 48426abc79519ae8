"""Code shared by the Watchfloor services: settings, schemas, keys, logging, streams."""
