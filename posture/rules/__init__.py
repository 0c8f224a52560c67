"""Posture rules as data: profiles (TOML) → frozen rules → per-rule state over time."""

from posture.rules.calibration import Calibration, CalibrationError, calibrate
from posture.rules.cues import CueRequest, CueScheduler, CueShown
from posture.rules.engine import EngineUpdate, RuleEngine
from posture.rules.model import (
    ACTIVITIES,
    CATEGORIES,
    SEGMENTS,
    ActivitySettings,
    Bands,
    Condition,
    Level,
    Profile,
    Rule,
    Status,
    stoop_squat_index,
    worst,
)
from posture.rules.profile import ProfileError, as_profile, builtin_profiles, load_profile
from posture.rules.state import ClosedEvent, RuleState, RuleUpdate

__all__ = [
    "ACTIVITIES", "CATEGORIES", "SEGMENTS", "ActivitySettings", "Bands", "Calibration",
    "CalibrationError", "ClosedEvent", "Condition", "CueRequest", "CueScheduler", "CueShown",
    "EngineUpdate", "Level", "Profile", "ProfileError", "Rule", "RuleEngine", "RuleState",
    "RuleUpdate", "Status", "as_profile", "builtin_profiles", "calibrate", "load_profile",
    "stoop_squat_index", "worst",
]
