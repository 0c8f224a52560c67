"""The README's worked example of a therapist's own exercise loads as written."""

import re
from pathlib import Path

from posture.exercises import load_exercise_file

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_wall_push_up_loads(tmp_path: Path) -> None:
    text = README.read_text(encoding="utf-8")
    section = text.split("### Add your own exercise", 1)[1]
    block = re.search(r"```toml\n(.*?)```", section, re.S)
    assert block is not None
    path = tmp_path / "wall_push_up.toml"
    path.write_text(block.group(1), encoding="utf-8")
    exercise = load_exercise_file(path)
    assert exercise.key == "wall_push_up" and exercise.kind == "reps"
    assert exercise.phases is not None and exercise.phases.metric == "elbow_angle_deg"
    assert [r.category for r in exercise.rules] == ["body_sag"]
