"""Sawt petitions: Petition channels, petitions, sponsors, signatures, counts, thresholds and official responses."""
