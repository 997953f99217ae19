"""Whether weasyprint finds HarfBuzz's font subsetter (Debian/Ubuntu package libharfbuzz-subset0).

Without it weasyprint cuts the embedded fonts with fontTools instead: the same pages, about 15 % more
work per student (3.6 G instead of 3.1 G instructions for a 2-2-2 sheet and key). ``make install``
and ``make demo`` run ``python -m generator.subsetter``, which prints one line naming the package
when the subsetter is missing; ``make bench`` prints whether it was used.
"""

from __future__ import annotations

import warnings

PACKAGE = "libharfbuzz-subset0"
MISSING = (f"weasyprint does not find HarfBuzz's font subsetter: fonts are cut with fontTools, about 15% slower "
           f"(Debian/Ubuntu: sudo apt-get install {PACKAGE}; macOS: brew install harfbuzz)")


def found() -> bool:
    """True when weasyprint subsets fonts with HarfBuzz (its own test: the library, version 4.1 or later)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # weasyprint's own notice when it is missing
        from weasyprint.text.ffi import harfbuzz, harfbuzz_subset
    return harfbuzz_subset is not None and bool(harfbuzz.hb_version_atleast(4, 1, 0))


if __name__ == "__main__":
    if not found():
        print(MISSING)
