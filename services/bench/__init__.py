"""``make bench``: throughput and latency of the running pipeline, and classify speed."""
