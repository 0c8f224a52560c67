"""Fuzzing the two file readers a person can feed: rule profiles and recordings.

* Rule profiles (TOML): mutated copies of the shipped profiles and generated
  ones either load, or raise ``ProfileError`` whose message starts with the
  file's path - never another exception, never a hang.  A profile that loads
  is then used for a short assessment, so accepted-but-odd values (huge
  thresholds, inverted guards) cannot crash the rules either.
* Recordings at the CLI level: mutated video bytes give exit 0 with a valid
  report, or exit 2 with one sentence naming the file - never a traceback.
  (posture.video's own mutation fuzz is in test_video.py.)

Coverage-guided fuzzing of the same two entry points with atheris lives in
fuzz/ (run by hand, not by pytest).  Hypothesis settings are CI-sized.
"""

from __future__ import annotations

import json
import math
import re
import tempfile
from pathlib import Path

import numpy as np
import pytest
from conftest import SAMPLE_VIDEOS
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from media_factory import frames_of, write_video
from synthetic_pose import make_pose

from posture.assess import Assessor
from posture.cli import main
from posture.metrics import METRIC_NAMES, FrameMetrics
from posture.rules.profile import (
    _ACTIVITY_KEYS,
    _RULE_KEYS,
    _TOP_KEYS,
    PROFILE_DIR,
    ProfileError,
    load_profile,
)
from posture.view import ViewState

SHIPPED = {p.name: p.read_bytes() for p in sorted(PROFILE_DIR.glob("*.toml"))}
FUZZ = settings(deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


# --------------------------------------------------------------------------- TOML text


def _toml_value(v: object) -> str:
    """A TOML inline value (strings, numbers incl. nan/inf, booleans, arrays, tables)."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {_toml_value(x)}"
                               for k, x in v.items()) + "}"
    raise TypeError(v)


def _toml_document(top: dict[str, object], rules: list[dict[str, object]]) -> str:
    lines = [f"{json.dumps(k, ensure_ascii=False)} = {_toml_value(v)}" for k, v in top.items()]
    for rule in rules:
        lines.append("[[rules]]")
        lines += [f"{json.dumps(k, ensure_ascii=False)} = {_toml_value(v)}"
                  for k, v in rule.items()]
    return "\n".join(lines) + "\n"


# Safe text for TOML strings: no lone surrogates (not encodable as UTF-8).
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=12)
names = st.sampled_from(["sitting", "standing", "lifting", "default", "side_left", "front",
                         "high", "low", "abs", "frame", "rep", "trunk", "forward_head",
                         "trunk_inclination_deg", "neck_inclination_deg", "knee_angle_deg",
                         "sitting.x", "lifting.stoop", "sitting.trunk_slouch", "", "."])
numbers = st.one_of(st.integers(-(10**30), 10**30), st.floats(allow_nan=True,
                                                               allow_infinity=True))
scalars = st.one_of(names, text, numbers, st.booleans())
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.one_of(names, text), inner, max_size=4)), max_leaves=10)

VALID_RULE: dict[str, object] = {
    "id": "sitting.fuzz", "category": "forward_head", "metric": "neck_inclination_deg",
    "direction": "high", "caution": 40.0, "poor": 50.0, "cue": "Grow tall", "source": "test",
}


@st.composite
def generated_profiles(draw: st.DrawFn) -> str:
    """A valid skeleton with fields replaced, added or dropped at random."""
    top: dict[str, object] = {}
    if draw(st.booleans()):
        top["extends"] = draw(st.one_of(st.just("default"), values))
    for key in draw(st.lists(st.sampled_from(sorted(_TOP_KEYS - {"rules", "extends"})),
                             max_size=3, unique=True)):
        if key == "activities":
            act = draw(st.sampled_from(["sitting", "standing", "lifting", "cooking"]))
            fields = draw(st.dictionaries(st.sampled_from(sorted(_ACTIVITY_KEYS)), values,
                                          max_size=3))
            top[key] = {act: fields}
        elif key == "disable":
            top[key] = draw(st.one_of(st.lists(names, max_size=3), values))
        else:
            top[key] = draw(values)
    rules = []
    for _ in range(draw(st.integers(0, 3))):
        rule = dict(VALID_RULE)
        for key in draw(st.lists(st.sampled_from(sorted(_RULE_KEYS | {"colour"})), max_size=4,
                                 unique=True)):
            if draw(st.booleans()):
                rule[key] = draw(values)
            else:
                rule.pop(key, None)
        rules.append(rule)
    return _toml_document(top, rules)


@st.composite
def mutated_profiles(draw: st.DrawFn) -> bytes:
    """A shipped profile with bytes, lines or values changed."""
    data = bytearray(SHIPPED[draw(st.sampled_from(sorted(SHIPPED)))])
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["byte", "delete", "insert", "line", "number"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "byte" and data:
            data[pos] = draw(st.integers(0, 255))
        elif kind == "delete":
            del data[pos:pos + draw(st.integers(1, 40))]
        elif kind == "insert":
            data[pos:pos] = draw(st.sampled_from(
                [b"[", b"]", b"[[rules]]\n", b'"', b"=", b"\n", b"nan", b"-inf", b"1e999",
                 b"\xff", b"\x00", b"{", b"}", b"[activities.sitting]\n", b"disable = 3\n"]))
        elif kind == "line":
            lines = bytes(data).split(b"\n")
            i = pos % len(lines)
            if draw(st.booleans()):
                del lines[i]
            else:
                lines.insert(i, lines[draw(st.integers(0, len(lines) - 1))])
            data = bytearray(b"\n".join(lines))
        else:  # a number somewhere becomes an extreme one
            found = [m.span() for m in re.finditer(rb"-?\d+(\.\d+)?", bytes(data))]
            if found:
                a, b = found[pos % len(found)]
                data[a:b] = draw(st.sampled_from([b"0", b"-1", b"1e308", b"nan", b"inf",
                                                  b"99999999999999999999999", b'"x"', b"[]"]))
    return bytes(data)


def _assess_briefly(profile: object) -> None:
    """Use a profile that loaded: a few frames of every view through the rules."""
    rng = np.random.default_rng(0)
    for activity in ("auto", "sitting", "standing", "lifting"):
        assessor = Assessor(activity, profile=profile)  # type: ignore[arg-type]
        for i in range(12):
            view = ViewState(["side_left", "front", "oblique", "side_right"][i % 4], "left",
                             80.0, False)
            row = rng.normal(30.0, 40.0, len(METRIC_NAMES))
            row[i % len(row)] = np.nan
            assessment = assessor.update(FrameMetrics(i / 10, True, view, row))
            assert assessment.worst in {"ok", "caution", "poor", "n/a"}
        assessor.finish()


def _check_profile(path: Path) -> None:
    try:
        profile = load_profile(path)
    except ProfileError as err:
        message = str(err)
        assert message.strip(), "empty message"
        # names the file: "<path>: …", or "profile <path> not found …" for an extends target
        assert re.match(r"(profile )?/", message), message
        if not message.startswith("profile "):
            assert message.split(": ")[0].endswith(".toml") or "/" in message.split(": ")[0]
        return
    _assess_briefly(profile)


@pytest.mark.timeout(180)
@settings(FUZZ, max_examples=200)
@given(data=mutated_profiles())
def test_mutated_profiles_load_or_say_which_file(data: bytes, tmp_path: Path) -> None:
    path = tmp_path / "mutant.toml"
    path.write_bytes(data)
    _check_profile(path)


@pytest.mark.timeout(180)
@settings(FUZZ, max_examples=200)
@given(doc=generated_profiles())
def test_generated_profiles_load_or_say_which_file(doc: str, tmp_path: Path) -> None:
    path = tmp_path / "generated.toml"
    path.write_text(doc, encoding="utf-8")
    _check_profile(path)  # also when the serialiser met an edge case TOML refuses


@pytest.mark.parametrize("body", [
    b"\xff\xfe[profile]\n", b'profile = "x"\n', b'activities = "x"\n', b"disable = 3\n",
    b"disable = [[1]]\n", b"a = " + b"[" * 3000 + b"]" * 3000 + b"\n",
    b'[activities.sitting]\nrequired_metrics = [[1]]\n', b'[activities.sitting]\nbreak_cue = 1\n',
    b'extends = "/"\n', b'extends = "/dev/null"\n', b'extends = 7\n',
    b'[[rules]]\nid = "sitting.x"\ncategory = ["a"]\n',
    b'[[rules]]\nid = "sitting.x"\nwhen = "x"\n',
    _toml_document({}, [{**VALID_RULE, "caution": math.inf}]).encode(),
    _toml_document({}, [{**VALID_RULE, "hysteresis": math.inf}]).encode(),
    _toml_document({}, [{**VALID_RULE, "poor": 10**400}]).encode(),
    _toml_document({}, [{**VALID_RULE, "when": [{"metric": ["x"]}]}]).encode(),
])
def test_profile_crashes_found_by_fuzzing_are_profile_errors(body: bytes, tmp_path: Path
                                                            ) -> None:
    path = tmp_path / "found.toml"
    path.write_bytes(body)
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    assert str(caught.value).startswith((str(path), "/")), str(caught.value)


def test_profile_that_never_ends_is_refused_at_once() -> None:
    """/dev/zero would be read forever; a pipe would block. Both are refused."""
    for device in ("/dev/zero", "/dev/null"):
        if Path(device).exists():
            with pytest.raises(ProfileError, match="device or pipe"):
                load_profile(Path(device))


# --------------------------------------------------------------------------- CLI, mutated video


class _SyntheticPose:
    """Stands in for MediaPipe: the fuzz is about the file, not the model."""

    def __init__(self, model_complexity: int = 1, static_image: bool = False) -> None:
        pass

    def process(self, image_rgb: np.ndarray, t: float) -> object:
        return make_pose(t=t, trunk_lean=12.0)

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def seed_clip(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    folder = tmp_path_factory.mktemp("seed")
    frames = frames_of(SAMPLE_VIDEOS / "synthetic" / "13_squat_good_side_left.mp4", 8,
                       size=(160, 120))
    return write_video(folder / "seed.mp4", frames, fps=15, faststart=True).read_bytes()


@pytest.mark.timeout(300)
@settings(FUZZ, max_examples=40)
@given(data=st.data())
def test_mutated_video_through_the_cli(seed_clip: bytes, tmp_path: Path, data: st.DataObject,
                                       monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr("posture.frame_analyzer.MediaPipePose", _SyntheticPose)
    blob = bytearray(seed_clip)
    n = len(blob)
    edits = data.draw(st.lists(st.tuples(
        st.one_of(st.integers(0, min(2047, n - 1)), st.integers(0, n - 1)),
        st.integers(0, 255)), min_size=1, max_size=16))
    for pos, value in edits:
        blob[pos] = value
    cut = data.draw(st.one_of(st.none(), st.integers(1, n)))
    if cut is not None:
        del blob[cut:]
    case = Path(tempfile.mkdtemp(dir=tmp_path))  # tmp_path is shared by all examples
    media = case / "mutant clip.mp4"
    media.write_bytes(bytes(blob))
    out = case / "out"
    args = ["analyze", str(media), "--out", str(out), "--quiet", "--workers", "1"]
    if data.draw(st.booleans()):
        args.append("--no-video")
    code = main(args)
    cap = capsys.readouterr()
    assert "Traceback" not in cap.err
    assert code in (0, 2), cap.err
    if code == 2:
        lines = [ln for ln in cap.err.splitlines() if ln.strip()]
        assert len(lines) == 1 and lines[0].startswith("posture: "), cap.err
        assert "'mutant clip.mp4'" in lines[0] and lines[0].endswith("."), lines[0]
        assert not out.exists()
    else:
        report = json.loads((out / "report.json").read_text())
        assert report["frames"] and report["video"]["frames"] >= 0
        assert not [p for p in out.iterdir() if ".part" in p.name or p.suffix == ".tmp"]
