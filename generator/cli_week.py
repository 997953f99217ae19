"""generate and key commands (the week's folder)."""
