"""Activity logic on top of the rules: reps, lifting analysis, auto-detection, timers, RULA/REBA."""
