"""Questions answered with many runs: the best plan (KN++), the staffing search, the validation against theory.

Each drives the runner (``sim.runs``) and reads its statistics (``sim.stats``);
nothing here writes a terminal or a page.
"""
