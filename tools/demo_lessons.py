"""Makes the demo's video lessons (wechat_app/domain/data/lessons/*.mp4): for each lesson three slides
of its outline with Chinese captions burned in, one every ten seconds, over a quiet tone — what a
physician sees in 定考培训 before the real courses are uploaded. Run once by hand when the text
changes (needs ffmpeg with libfreetype and a Chinese font, e.g. Debian's fonts-wqy-microhei):

    python -m tools.demo_lessons

The output is committed; the demo only reads it (the machine running the product needs no font).
"""
from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from wechat_app.domain.demo_training import LESSON_DIR, LESSONS, SECONDS_PER_CAPTION

FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
COLOURS = ("0x1f6f4a", "0x1d4f7a", "0x5a3d7a")  # one per slide: the viewer sees the section change


def escape(text: str) -> str:
    # drawtext's own quoting: \\ ' : % have meanings in its option syntax
    return text.replace("\\", "\\\\").replace("'", "\u2019").replace(":", "\\:").replace("%", "\\%")


def make(number: int, title: str, sections: list[tuple[str, list[str]]], out: Path) -> None:
    per_slide = [len(captions) * SECONDS_PER_CAPTION for _, captions in sections]
    total = sum(per_slide)
    with tempfile.TemporaryDirectory() as work:
        parts = []
        for index, (heading, captions) in enumerate(sections):
            filters = [
                f"drawtext=fontfile={FONT}:text='{escape(title)}':fontcolor=white:fontsize=32:x=(w-tw)/2:y=48",
                f"drawtext=fontfile={FONT}:text='{escape(heading)}':fontcolor=0xe8e8e8:fontsize=24:x=(w-tw)/2:y=120",
                f"drawtext=fontfile={FONT}:text='{index + 1} / {len(sections)}':fontcolor=0xcccccc:fontsize=16:x=w-tw-16:y=16",
            ]
            for at, caption in enumerate(captions):
                start, end = at * SECONDS_PER_CAPTION, (at + 1) * SECONDS_PER_CAPTION
                filters.append(f"drawtext=fontfile={FONT}:text='{escape(caption)}':fontcolor=white:fontsize=21:"
                               f"box=1:boxcolor=black@0.55:boxborderw=10:x=(w-tw)/2:y=h-64:"
                               f"enable='gte(t,{start})*lt(t,{end})'")
            part = Path(work) / f"{index}.mp4"
            subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
                            "-f", "lavfi", "-i", f"color=c={COLOURS[index % 3]}:s=640x360:r=5:d={per_slide[index]}",
                            "-f", "lavfi", "-i", f"sine=f={262 + 40 * index}:d={per_slide[index]},volume=0.05",
                            "-vf", ",".join(filters), "-c:v", "libx264", "-preset", "veryslow", "-crf", "32",
                            "-tune", "stillimage", "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-g", "50",
                            "-c:a", "aac", "-ar", "16000", "-b:a", "12k", "-ac", "1", str(part)], check=True)
            parts.append(part)
        listing = Path(work) / "parts.txt"
        listing.write_text("".join(f"file '{part}'\n" for part in parts))
        subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-f", "concat", "-safe", "0",
                        "-i", str(listing), "-c", "copy", "-movflags", "+faststart", str(out)], check=True)
    print(f"{out.name}: {title}, {total} s, {out.stat().st_size // 1024} KB")


def main() -> int:
    if not FONT.exists():
        print(f"needs {FONT} (apt-get install fonts-wqy-microhei)", file=sys.stderr)
        return 1
    LESSON_DIR.mkdir(parents=True, exist_ok=True)
    for number, (title, sections) in enumerate(LESSONS.items(), start=1):
        make(number, title, sections, LESSON_DIR / f"{number}.mp4")
    return 0


if __name__ == "__main__":
    sys.exit(main())
