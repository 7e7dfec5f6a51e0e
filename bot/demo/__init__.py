"""`shcb demo`: a scripted month played as a film against the local Bot API server (see film.py).
Each feature adds its part as a module here with `async def play(film)`; PARTS is the order of the
month. A part whose module is not written yet is left out, never faked."""

PARTS = [
    "onboarding",   # people join by sharing their phone
    "guidance",     # the ward sends the month's guidance before the 1st
    "reminders",    # the 1st/2nd/3rd reminders on a simulated clock
    "roll_call",    # the cell meets on the 3rd: the two roll calls and the meeting record
    "recommendations",  # recommendations go up to the ward and the city; answers come back down
    "report",       # the ward's report before the 10th
]
