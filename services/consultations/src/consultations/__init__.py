"""Sawt consultations: Public consultations: questionnaires, responses and result tallies."""
