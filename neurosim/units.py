"""SI units as plain floats.

Every quantity in :mod:`neurosim` is a float (or array) in SI base units: seconds, volts,
amperes, siemens, ohms, hertz. Multiply by a unit to write a value and divide by it to read
one back::

    >>> from neurosim.units import ms, mV
    >>> tau = 20 * ms          # 0.02 (seconds)
    >>> round(tau / ms, 12)    # 20.0
    20.0

There is no unit checking at run time; instead parameter classes reject magnitudes that look
like the wrong unit (``tau_m=20`` -> "looks like milliseconds; write 20*ms").
"""

from __future__ import annotations

# time
second: float = 1.0
ms: float = 1e-3
us: float = 1e-6
minute: float = 60.0
# voltage
volt: float = 1.0
mV: float = 1e-3
uV: float = 1e-6
# current
amp: float = 1.0
mA: float = 1e-3
uA: float = 1e-6
nA: float = 1e-9
pA: float = 1e-12
# conductance
siemens: float = 1.0
mS: float = 1e-3
uS: float = 1e-6
nS: float = 1e-9
pS: float = 1e-12
# resistance
ohm: float = 1.0
kohm: float = 1e3
Mohm: float = 1e6
Gohm: float = 1e9
# capacitance
farad: float = 1.0
uF: float = 1e-6
nF: float = 1e-9
pF: float = 1e-12
# frequency
Hz: float = 1.0
kHz: float = 1e3

__all__ = [
    "second", "ms", "us", "minute", "volt", "mV", "uV", "amp", "mA", "uA", "nA", "pA",
    "siemens", "mS", "uS", "nS", "pS", "ohm", "kohm", "Mohm", "Gohm", "farad", "uF", "nF",
    "pF", "Hz", "kHz",
]
