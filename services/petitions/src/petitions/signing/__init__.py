"""Signing: one signature per citizen and petition, written in group-committed batches."""
