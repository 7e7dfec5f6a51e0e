"""`shcb demo`: a scripted month played as a film against the local Bot API server (see film.py).
Each feature adds its part as a module here with `async def play(film)`; `film.PARTS` lists them in
the order of the month, and `film.NOT_BUILT` the parts whose feature does not exist yet (left out,
never faked)."""
