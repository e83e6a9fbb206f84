"""Vogels–Abbott COBA benchmark: conductance-based LIF, neurosim vs Brian2.

4000 neurons, fan-in 80, dt 0.1 ms, exponential-Euler integration (Brian2's
``examples/COBAHH``-free COBA variant, as in the Brette et al. 2007 review). Same protocol
and JSON line as ``benchmarks/cuba.py``: ``python benchmarks/coba.py [--quick]``.
"""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cuba import _b2_peer_main, main  # noqa: E402

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--peer":
        _b2_peer_main(sys.argv[2], sys.argv[3], int(sys.argv[4]), float(sys.argv[5]),
                      int(sys.argv[6]))
    else:
        main("coba")
