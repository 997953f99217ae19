"""Build templates/fonts: DejaVu cut to the characters sheets and keys use, without layout tables."""
from fontTools import subset
from fontTools.ttLib import TTFont
SRC = "/usr/share/fonts/truetype/dejavu/"
UNI = "U+0020-007E,U+00A0-00FF,U+0131,U+0303,U+0391-03C9,U+03D5,U+1D40,U+2000-206F,U+2070-209F,U+2190-21FF,U+2200-22FF,U+25A1,U+25CC"
FONTS = {"DejaVuSerif.ttf": ("BPDrill Serif", "Regular"), "DejaVuSerif-Italic.ttf": ("BPDrill Serif", "Italic"),
         "DejaVuSerif-Bold.ttf": ("BPDrill Serif", "Bold"),
         "DejaVuSansMono.ttf": ("BPDrill Mono", "Regular")}
for src, (family, style) in FONTS.items():
    opts = subset.Options()
    opts.layout_features = []
    opts.drop_tables += ["GSUB", "GPOS", "GDEF", "kern", "FFTM"]
    opts.hinting = False
    opts.name_IDs = ["*"]
    f = TTFont(SRC + src)
    s = subset.Subsetter(opts)
    s.populate(unicodes=subset.parse_unicodes(UNI))
    s.subset(f)
    name = f["name"]
    for rec in name.names:
        if rec.nameID in (1, 16):
            rec.string = family
        elif rec.nameID in (4,):
            rec.string = f"{family} {style}"
        elif rec.nameID == 6:
            rec.string = f"{family.replace(' ', '')}-{style}"
    out = src.replace("DejaVu", "BPDrill")
    f.save(out)
    print(out)
