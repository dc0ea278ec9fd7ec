"""The one error type users see for bad input: it names the file, the problem and the fix."""

from __future__ import annotations

import os


class InputError(ValueError):
    """Bad input, reported before heavy work.

    Parameters
    ----------
    source
        The file (or config key) at fault.
    problem
        What is wrong with it, with the figures that show it.
    fix
        What the user should do about it.
    """

    def __init__(self, source: str | os.PathLike, problem: str, fix: str):
        self.source = str(source)
        self.problem = problem
        self.fix = fix
        super().__init__(f"{self.source}: {problem}\n  Fix: {fix}")
