"""posture: a webcam posture and lifting-form coach (MediaPipe Pose -> angles -> rules)."""

__version__ = "0.1.0"
