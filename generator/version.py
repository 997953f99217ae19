"""bpdrill's version (one place: the record of every week says which bpdrill made it)."""

__version__ = "0.1.0"
