"""bcdnet benchmarks: paper tables, peer comparisons and throughput (``python -m benchmarks``)."""
