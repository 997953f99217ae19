"""bpdrill's page templates (jinja2 HTML, CSS, the network's SVG) and fonts: found from here, by every page."""

from pathlib import Path

TEMPLATES = Path(__file__).resolve().parent
FONTS = TEMPLATES / "fonts"
