"""Judging: a `Dataset` and an evaluation date to a `Report` of verdicts, scores and coverage."""
