"""Home exercise programmes (issue #11): the exercise library and its rep/hold engine.

``get_exercise(key)`` gives a frozen ``Exercise`` from posture/exercises/library;
``ExerciseAssessor(key)`` coaches and judges it frame by frame like
``posture.assess.Assessor`` does for sitting, standing and lifting.
"""

from posture.exercises.loader import (
    ExerciseError,
    exercise_keys,
    get_exercise,
    load_exercise_file,
    load_library,
)
from posture.exercises.model import Exercise, Hold, Phases, Rom

__all__ = ["Exercise", "ExerciseError", "Hold", "Phases", "Rom", "exercise_keys",
           "get_exercise", "load_exercise_file", "load_library"]
