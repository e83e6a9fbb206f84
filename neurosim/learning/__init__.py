"""Unsupervised learning models built on :mod:`neurosim` and :mod:`neurosim.plasticity`:
Song, Miller & Abbott (2000) STDP competition (:mod:`.song_abbott`) and the Diehl & Cook
(2015) digit classifier (:mod:`.diehl_cook`). Import the submodules explicitly."""
