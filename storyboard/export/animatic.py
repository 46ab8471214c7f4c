"""The animatic: the boards timed to their dialogue, as an H.264 MP4 with subtitles.

Each panel is held for its duration (`storyboard.timing`), fitted whole into the frame on
black, optionally with a slow push-in; the dialogue becomes a subtitle track in the MP4
(`mov_text`) and sidecar `.srt` and `.vtt` files beside it. The frame follows the storyboard
frame aspect: 16:9 by default; wider frames (2.39:1, 1.85:1) are letterboxed inside 16:9;
narrower ones (4:3, 1:1, 9:16) get a frame of their own aspect. Video is encoded by the
ffmpeg that `imageio-ffmpeg` ships (the `video` extra), so nothing needs installing system-wide.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any, Iterable, Mapping

from storyboard.errors import ExportError, require
from storyboard.export import atomic_path
from storyboard.timing import Timed, cues, timeline

WIDE = 16 / 9
PUSH_IN = 0.08  # the push-in ends 8 % closer than it starts


def frame_size(story: Any) -> tuple[int, int, float]:
    """(width, height, content aspect) of the video frame, sides even (H.264 needs it)."""
    height = story.animatic.height
    aspect = _aspect(story.page.frame_aspect) if story.page.size == "storyboard" else WIDE
    width = 2 * round(height * min(aspect, WIDE) / 2)
    return width, 2 * round(height / 2), aspect


def write_animatic(story: Any, images: Mapping[tuple[int, int], Any], path: str | Path) -> list[Path]:
    """Write `path` (.mp4) and its `.srt` and `.vtt` sidecars, each atomically; returns all three.

    `images` maps (scene, panel) to the panel's finished art (a PIL image)."""
    ffmpeg = require("imageio_ffmpeg", "video")
    path = Path(path)
    fps = story.animatic.fps
    timed = timeline(story, fps=fps)
    width, height, aspect = frame_size(story)
    subtitles = list(cues(story, timed))
    srt, vtt = path.with_suffix(".srt"), path.with_suffix(".vtt")
    # All three are written to temporary files first and renamed into place only once the
    # video is made (the MP4 first): a failure or Ctrl-C while encoding leaves neither new
    # sidecars beside an old (or no) MP4 nor any half of the set.
    with atomic_path(srt, ".srt") as srt_tmp, atomic_path(vtt, ".vtt") as vtt_tmp, \
            atomic_path(path, ".mp4") as out, atomic_path(path, ".video.mp4") as video:
        srt_tmp.write_text(to_srt(subtitles), encoding="utf-8")
        vtt_tmp.write_text(to_vtt(subtitles), encoding="utf-8")
        writer = ffmpeg.write_frames(
            str(video), (width, height), fps=fps, codec="libx264", pix_fmt_in="rgb24",
            output_params=["-preset", "veryfast", "-crf", "20", "-movflags", "+faststart"],
            macro_block_size=2, ffmpeg_log_level="error",
        )
        writer.send(None)  # start ffmpeg
        try:
            for frame in _frames(story, images, timed, width, height, aspect, fps):
                writer.send(frame)
        finally:
            writer.close()
        _mux(ffmpeg.get_ffmpeg_exe(), video, srt_tmp, out, getattr(story, "language", None))
    return [path, srt, vtt]


def _frames(story, images, timed: list[Timed], width: int, height: int, aspect: float, fps: int) -> Iterable[bytes]:
    from PIL import Image

    box_w, box_h = (width, round(width / aspect)) if aspect > width / height else (round(height * aspect), height)
    push = story.animatic.motion == "push-in"
    from storyboard.drawing import Drawing, rasterise

    for t in timed:
        art = images[(t.scene, t.panel)]
        scale = min(box_w / art.width, box_h / art.height)
        size = (max(1, round(art.width * scale)), max(1, round(art.height * scale)))
        if isinstance(art, Drawing):  # a vector sketch is drawn at the frame's size, not resampled
            fitted = rasterise(art, *size)
        else:
            fitted = (art.convert("RGB") if art.mode != "RGB" else art).resize(size, Image.Resampling.LANCZOS)
        canvas = Image.new("RGB", (width, height), "black")
        canvas.paste(fitted, ((width - fitted.width) // 2, (height - fitted.height) // 2))
        count = round(t.seconds * fps)
        if not push:
            still = canvas.tobytes()
            for _ in range(count):
                yield still
            continue
        for i in range(count):
            zoom = 1.0 + PUSH_IN * i / max(1, count - 1)
            w, h = width / zoom, height / zoom
            box = ((width - w) / 2, (height - h) / 2, (width + w) / 2, (height + h) / 2)
            yield canvas.resize((width, height), Image.Resampling.BILINEAR, box=box).tobytes()


def _mux(exe: str, video: Path, srt: Path, out: Path, language: str | None) -> None:
    """Copy the video and add the subtitles as an MP4 text track (mov_text)."""
    lang = _iso639_2(language)
    command = [exe, "-v", "error", "-y", "-i", str(video), "-i", str(srt), "-map", "0:v", "-map", "1:s",
               "-c:v", "copy", "-c:s", "mov_text", "-metadata:s:s:0", f"language={lang}", "-f", "mp4", str(out)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise ExportError(f"cannot write {out.name}: ffmpeg failed ({(done.stderr.strip().splitlines() or ['?'])[-1]})")


def to_srt(subtitles: list[tuple[float, float, str]]) -> str:
    return "".join(f"{i}\n{_stamp(a, ',')} --> {_stamp(b, ',')}\n{text}\n\n" for i, (a, b, text) in enumerate(subtitles, 1))


def to_vtt(subtitles: list[tuple[float, float, str]]) -> str:
    return "WEBVTT\n\n" + "".join(f"{_stamp(a, '.')} --> {_stamp(b, '.')}\n{text}\n\n" for a, b, text in subtitles)


def _stamp(seconds: float, comma: str) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{comma}{ms:03d}"


def _aspect(name: str) -> float:
    w, h = name.split(":")
    return float(w) / float(h)


_ISO639_2 = {"en": "eng", "fr": "fra", "de": "deu", "es": "spa", "it": "ita", "ja": "jpn", "zh": "zho", "ko": "kor",
             "ar": "ara", "he": "heb", "ru": "rus", "el": "ell", "vi": "vie", "tr": "tur", "pt": "por", "nl": "nld"}


def _iso639_2(language: str | None) -> str:
    """MP4 tracks name their language in ISO 639-2; 'und' (undetermined) when unknown."""
    if not language:
        return "und"
    return _ISO639_2.get(str(language).split("-")[0].lower(), "und")
