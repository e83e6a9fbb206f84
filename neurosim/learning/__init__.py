"""Unsupervised learning models built on :mod:`neurosim` and :mod:`neurosim.plasticity`:
Song, Miller & Abbott (2000) STDP competition (:mod:`.song_abbott`), the Diehl & Cook
(2015) digit classifier (:mod:`.diehl_cook`) and Brunel's (2000) E/I network with STDP on
its excitatory synapses (:mod:`.brunel`, the scale benchmark), and Potjans & Diesmann's
(2014) cortical microcircuit (:mod:`.microcircuit`, with a NEST counterpart for the peer
benchmark). Import the submodules explicitly."""
