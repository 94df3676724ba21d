"""Parsing Nova logs into typed event streams (see analyzer.parse_logs)."""

import os

import pyarrow as pa

# Parsing allocates and frees many short-lived buffers (a block's columns, the merge
# of files by time).  With the system allocator these copies run several times
# faster than with pyarrow's default mimalloc pool here (measured in
# benchmarks/parse_speed.py); ARROW_DEFAULT_MEMORY_POOL still overrides it.
if "ARROW_DEFAULT_MEMORY_POOL" not in os.environ:
    pa.set_memory_pool(pa.system_memory_pool())
