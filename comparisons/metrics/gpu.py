"""Measured GPU energy via NVML (``nvmlDeviceGetTotalEnergyConsumption``, Volta and newer).

The counter is in millijoules and updates coarsely: measure long windows (a whole fit), not
single steps. Needs the optional package ``nvidia-ml-py`` (``pip install neurosim[gpu]``);
without it, or without an NVIDIA GPU, :class:`GPUEnergyMeter` reports ``None``.
"""

from __future__ import annotations

from typing import Any


class GPUEnergyMeter:
    """Context manager: joules the GPU consumed inside the ``with`` block (or ``None``).

    Examples
    --------
    >>> with GPUEnergyMeter() as meter:        # doctest: +SKIP
    ...     train()
    >>> meter.joules                            # None on a machine without NVML
    """

    def __init__(self, index: int = 0) -> None:
        self.index = index
        self.joules: float | None = None
        self._handle: Any = None
        self._start: int | None = None

    def __enter__(self) -> GPUEnergyMeter:
        try:
            import pynvml

            pynvml.nvmlInit()
            self._handle = pynvml.nvmlDeviceGetHandleByIndex(self.index)
            self._start = pynvml.nvmlDeviceGetTotalEnergyConsumption(self._handle)
        except Exception:  # noqa: BLE001 - no NVML, no GPU, or a GPU without the counter
            self._handle = None
        return self

    def __exit__(self, *exc: object) -> None:
        if self._handle is None or self._start is None:
            return
        import pynvml

        end = pynvml.nvmlDeviceGetTotalEnergyConsumption(self._handle)
        self.joules = (end - self._start) / 1000.0
