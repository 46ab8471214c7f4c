"""Counts in messages: "1 page", "2 pages"."""

from __future__ import annotations


def counted(number: int, noun: str, plural: str | None = None) -> str:
    """`number` and `noun`, the noun in the plural (default: noun + "s") unless number is 1."""
    return f"{number} {noun if number == 1 else plural or noun + 's'}"
