"""render and combine commands (PDF sheets and keys)."""
