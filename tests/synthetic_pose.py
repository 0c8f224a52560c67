"""A posable stick figure that yields FramePose records with known angles.

The body is built in metres in a body frame (forward +X, up +Y, left +Z), rotated
by ``yaw`` about the vertical and projected orthographically onto the image.
That frame is left-handed, so the projection mirrors x to show a real body:
yaw 0: the left side faces the camera and the person faces image left
(side_left); 90: facing the camera (front, their left on image right);
180: side_right, facing image right.
"""

from __future__ import annotations

import math

import numpy as np

from posture.landmarks import NUM_LANDMARKS, FramePose
from posture.landmarks import PoseLandmark as L


def _dir(angle_from_vertical_deg: float, up: bool) -> np.ndarray:
    """Unit vector in the sagittal plane: angle from vertical, + forward."""
    a = math.radians(angle_from_vertical_deg)
    return np.array([math.sin(a), math.cos(a) if up else -math.cos(a), 0.0])


def body_points(
    trunk_lean: float = 0.0,
    neck_lean: float = 0.0,
    thigh: float = 0.0,
    shin: float = 0.0,
    lateral_tilt: float = 0.0,
    valgus: float = 0.0,
    arm: float = 0.0,
    heel_rise: float = 0.0,
) -> np.ndarray:
    """33×3 joint positions (metres, body frame).

    trunk_lean / neck_lean: segment angle from vertical, + forward.
    thigh: hip→knee from straight down, + knee forward (90 = thigh level).
    shin: ankle→knee from vertical, + knee ahead of the ankle.
    lateral_tilt: trunk bent towards the person's left (+), frontal plane.
    valgus: each knee displaced medially by this angle (frontal plane).
    """
    p = np.zeros((NUM_LANDMARKS, 3))
    hip_half, sh_half = 0.10, 0.18
    trunk_len, neck_len, thigh_len, shin_len = 0.50, 0.22, 0.45, 0.43
    upper_arm, forearm = 0.30, 0.26
    ankle_y = 0.08
    # Legs from the floor up so the feet stay on the ground.
    for side, z in ((+1, hip_half), (-1, -hip_half)):
        ankle = np.array([0.0, ankle_y, z])
        knee = ankle + shin_len * _dir(shin, up=True)
        hip = knee - thigh_len * _dir(thigh, up=False)
        if valgus:
            knee = knee.copy()
            knee[2] -= side * math.sin(math.radians(valgus)) * thigh_len
        hr = math.radians(heel_rise)
        heel = ankle + np.array([-0.06 * math.cos(hr), -0.06 + 0.12 * math.sin(hr), 0.0])
        toe = ankle + np.array([0.16, -0.07, 0.0])
        names = (
            (L.LEFT_HIP, L.LEFT_KNEE, L.LEFT_ANKLE, L.LEFT_HEEL, L.LEFT_FOOT_INDEX)
            if side > 0
            else (L.RIGHT_HIP, L.RIGHT_KNEE, L.RIGHT_ANKLE, L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX)
        )
        for lm, pt in zip(names, (hip, knee, ankle, heel, toe), strict=True):
            p[lm] = pt
    # The two hips may disagree in x if thigh/shin differ; use their mean as the pelvis.
    pelvis = (p[L.LEFT_HIP] + p[L.RIGHT_HIP]) / 2
    p[L.LEFT_HIP] = pelvis + np.array([0, 0, hip_half])
    p[L.RIGHT_HIP] = pelvis - np.array([0, 0, hip_half])
    lat = math.radians(lateral_tilt)
    trunk_dir = _dir(trunk_lean, up=True)
    trunk_dir = np.array([trunk_dir[0], trunk_dir[1] * math.cos(lat), trunk_dir[1] * math.sin(lat)])
    sh_mid = pelvis + trunk_len * trunk_dir
    across = np.array([0.0, -math.sin(lat), math.cos(lat)])
    p[L.LEFT_SHOULDER] = sh_mid + sh_half * across
    p[L.RIGHT_SHOULDER] = sh_mid - sh_half * across
    for side, sh in ((+1, L.LEFT_SHOULDER), (-1, L.RIGHT_SHOULDER)):
        elbow = p[sh] + upper_arm * _dir(arm, up=False)
        wrist = elbow + forearm * _dir(arm + 10, up=False)
        if side > 0:
            p[L.LEFT_ELBOW], p[L.LEFT_WRIST] = elbow, wrist
            for lm in (L.LEFT_PINKY, L.LEFT_INDEX, L.LEFT_THUMB):
                p[lm] = wrist + np.array([0.03, -0.05, 0.0])
        else:
            p[L.RIGHT_ELBOW], p[L.RIGHT_WRIST] = elbow, wrist
            for lm in (L.RIGHT_PINKY, L.RIGHT_INDEX, L.RIGHT_THUMB):
                p[lm] = wrist + np.array([0.03, -0.05, 0.0])
    for side, sh, ear, eye_in, eye, eye_out, mouth in (
        (
            +1,
            L.LEFT_SHOULDER,
            L.LEFT_EAR,
            L.LEFT_EYE_INNER,
            L.LEFT_EYE,
            L.LEFT_EYE_OUTER,
            L.MOUTH_LEFT,
        ),
        (
            -1,
            L.RIGHT_SHOULDER,
            L.RIGHT_EAR,
            L.RIGHT_EYE_INNER,
            L.RIGHT_EYE,
            L.RIGHT_EYE_OUTER,
            L.MOUTH_RIGHT,
        ),
    ):
        ear_pt = p[sh] + neck_len * _dir(neck_lean, up=True) - side * np.array([0, 0, 0.10])
        p[ear] = ear_pt
        p[eye] = ear_pt + np.array([0.09, 0.02, -side * 0.04])
        p[eye_in] = p[eye] + np.array([0.01, 0, -side * 0.015])
        p[eye_out] = p[eye] + np.array([-0.01, 0, side * 0.015])
        p[mouth] = ear_pt + np.array([0.09, -0.06, -side * 0.06])
    p[L.NOSE] = (p[L.LEFT_EYE] + p[L.RIGHT_EYE]) / 2 + np.array([0.03, -0.03, 0.0])
    return p


def make_pose(
    t: float = 0.0,
    yaw: float = 0.0,
    px_per_m: float = 220.0,
    width: int = 640,
    height: int = 480,
    visibility: float = 0.99,
    **angles: float,
) -> FramePose:
    """A FramePose of the posed body seen from ``yaw`` (see module docstring)."""
    body = body_points(**angles)
    c, s = math.cos(math.radians(yaw)), math.sin(math.radians(yaw))
    # Rotate about +Y so that forward (+X) turns towards the camera (+Z) as yaw grows.
    rot = np.array([[c, 0, -s], [0, 1, 0], [s, 0, c]])
    cam = body @ rot.T  # camera frame: x right, y up, z towards the camera
    cam[:, 0] *= -1.0  # mirror: the body frame above is left-handed
    centre = (cam[L.LEFT_HIP] + cam[L.RIGHT_HIP]) / 2
    world = np.column_stack([cam[:, 0], -cam[:, 1], -cam[:, 2]]) - np.array(
        [centre[0], -centre[1], -centre[2]]
    )
    image = np.column_stack(
        [
            width / 2 + px_per_m * cam[:, 0],
            height - 20 - px_per_m * cam[:, 1],
            -px_per_m * cam[:, 2],
        ]
    )
    return FramePose(
        t=t,
        width=width,
        height=height,
        image=image,
        visibility=np.full(NUM_LANDMARKS, visibility),
        world=world,
    )
