"""How much work a call does, counted rather than timed: the tests check how work grows with the input
without depending on how busy the machine is (benchmarks in ``bench/`` time it)."""
from __future__ import annotations

import cProfile
import pstats


def calls(f, *args) -> int:
    """The number of function calls (Python functions and the built-ins they call) that ``f(*args)`` makes.

    The count is the same from run to run: a loop over every pair of mentions shows as a count that grows
    with the square of the text, whatever else runs on the machine.
    """
    profile = cProfile.Profile()
    profile.enable()
    try:
        f(*args)
    finally:
        profile.disable()
    return sum(stats[1] for stats in pstats.Stats(profile).stats.values())
