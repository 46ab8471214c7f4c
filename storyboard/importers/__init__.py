"""Screenplays and other formats into story scripts."""
