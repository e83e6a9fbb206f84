"""Interoperability with other simulators (Brian2). Submodules import their peer lazily."""
