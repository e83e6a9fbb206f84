"""Interoperability with other simulators (Brian2) and formats (NIR). Submodules import their
peer lazily."""

from neurosim.interop.nir import from_nir, read_nir, to_nir, write_nir

__all__ = ["to_nir", "from_nir", "write_nir", "read_nir"]
