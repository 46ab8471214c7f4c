"""The animatic: the boards timed to their dialogue, as an H.264 MP4 with subtitles.

Each panel is held for its duration (`storyboard.timing`), fitted whole into the frame on
black, optionally with a slow push-in; the dialogue becomes a subtitle track in the MP4
(`mov_text`) and sidecar `.srt` and `.vtt` files beside it. The frame follows the storyboard
frame aspect: 16:9 by default; wider frames (2.39:1, 1.85:1) are letterboxed inside 16:9;
narrower ones (4:3, 1:1, 9:16) get a frame of their own aspect. Video is encoded by the
ffmpeg that `imageio-ffmpeg` ships (the `video` extra), so nothing needs installing system-wide.
"""

from __future__ import annotations

import signal
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


# The most an animatic may hold, in frames times their pixels: a 2-hour 1080p film at 24 fps
# (each frame is piped raw to ffmpeg: 300 panels of `duration: 600` at 2160p60, a 20 KB
# script, asked for 50 hours of 4K video, days of encoding).
MAX_FRAME_PIXELS = 2 * 3600 * 24 * 1920 * 1080


def length_problems(story: Any) -> list[tuple[tuple, str]]:
    """(location, why) when the animatic of `story` would hold more than MAX_FRAME_PIXELS,
    located at the first panel past the limit; from the timing alone, before any panel is drawn."""
    width, height, _ = frame_size(story)
    fps = story.animatic.fps
    limit = MAX_FRAME_PIXELS // (width * height)  # frames
    for t in timeline(story, fps=fps):
        if round((t.start + t.seconds) * fps) > limit:
            panel = story.scenes[t.scene].panels[t.panel]
            minutes = limit / fps / 60
            most = f"{minutes / 60:g} hours" if minutes >= 60 else f"{minutes:.0f} minutes"
            return [(("scenes", t.scene, "panels", t.panel, *(("duration",) if panel.duration else ())),
                     f"the animatic passes {most} here (at most as many frames of its "
                     f"{width} x {height} at {fps} fps as a 2-hour 1080p film at 24 fps holds): shorten the panels' "
                     "durations, or lower animatic.height or fps")]
    return []


def write_animatic(story: Any, images: Mapping[tuple[int, int], Any], path: str | Path) -> list[Path]:
    """Write `path` (.mp4) and its `.srt` and `.vtt` sidecars, each atomically; returns all three.

    `images` maps (scene, panel) to the panel's finished art (a PIL image)."""
    ffmpeg = require("imageio_ffmpeg", "video")
    path = Path(path)
    fps = story.animatic.fps
    timed = timeline(story, fps=fps)
    width, height, aspect = frame_size(story)
    subtitles = [(start, end, _cue(text)) for start, end, text in cues(story, timed) if _cue(text)]
    srt, vtt = path.with_suffix(".srt"), path.with_suffix(".vtt")
    # All three are written to temporary files first and renamed into place only once the
    # video is made (the MP4 first): a failure or Ctrl-C while encoding leaves neither new
    # sidecars beside an old (or no) MP4 nor any half of the set.
    with atomic_path(srt, ".srt") as srt_tmp, atomic_path(vtt, ".vtt") as vtt_tmp, \
            atomic_path(path, ".mp4") as out, atomic_path(path, ".video.mp4") as video:
        srt_tmp.write_text(to_srt(subtitles), encoding="utf-8")
        vtt_tmp.write_text(to_vtt(subtitles), encoding="utf-8")
        _encode(ffmpeg.get_ffmpeg_exe(), _frames(story, images, timed, width, height, aspect, fps),
                (width, height), fps, video, path)
        # From the WebVTT, which escapes: an SRT cue cannot hold a line "00:00:01,000 --> 00:00:09,000".
        _mux(ffmpeg.get_ffmpeg_exe(), video, vtt_tmp if subtitles else None, out, getattr(story, "language", None), path)
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


def _encode(exe: str, frames: Iterable[bytes], size: tuple[int, int], fps: int, video: Path, path: Path) -> None:
    """H.264 `video` from RGB `frames` of `size`, piped to ffmpeg (the command imageio-ffmpeg's
    `write_frames` builds, run here so that its messages are caught: a full disk is one line
    naming `path`, the output asked for, not ffmpeg's lines and a broken pipe)."""
    import tempfile
    from fractions import Fraction

    command = [exe, "-y", "-f", "rawvideo", "-vcodec", "rawvideo", "-s", f"{size[0]}x{size[1]}", "-pix_fmt", "rgb24",
               "-r", str(Fraction(fps).limit_denominator()), "-i", "-", "-an", "-vcodec", "libx264", "-pix_fmt", "yuv420p", "-v", "error",
               "-preset", "veryfast", "-crf", "20", "-movflags", "+faststart", str(video)]
    with tempfile.TemporaryFile() as log:
        # Its own process group: a Ctrl-C is the render's to handle (it stops ffmpeg below).
        process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=log,
                                   start_new_session=True)
        try:
            try:
                for frame in frames:
                    process.stdin.write(frame)
                process.stdin.close()
            except BrokenPipeError:  # ffmpeg ended: its own message says why
                pass
            if process.wait() != 0:
                log.seek(0)
                why = _last_line(log.read()) if process.returncode > 0 else \
                    f"ended by {signal.Signals(-process.returncode).name}"  # SIGXFSZ: over `ulimit -f`
                raise ExportError(f"cannot write {path}: ffmpeg failed ({why})")
        finally:
            if process.poll() is None:  # interrupted, or a frame failed
                process.kill()
                process.wait()


def _last_line(stderr: bytes) -> str:
    lines = stderr.decode("utf-8", "replace").strip().splitlines() or ["?"]
    return lines[-1].split("] ", 1)[-1] if lines[-1].startswith("[") else lines[-1]  # without `[out#0/mp4 @ 0x...]`


def _mux(exe: str, video: Path, cues: Path | None, out: Path, language: str | None, path: Path) -> None:
    """Copy the video and add the subtitles as an MP4 text track (mov_text) into `out`, the
    temporary file of the output `path`, from the WebVTT `cues`. None: a story without a word has
    no track (ffmpeg reads an empty subtitle file as invalid data: a wordless story had no animatic)."""
    inputs = ["-i", str(video)] + ([] if cues is None else ["-i", str(cues)])
    track = [] if cues is None else ["-map", "1:s"]
    subtitles = [] if cues is None else ["-c:s", "mov_text", "-metadata:s:s:0", f"language={_iso639_2(language)}"]
    command = [exe, "-v", "error", "-y", *inputs, "-map", "0:v", *track, "-c:v", "copy", *subtitles,
               "-f", "mp4", str(out)]
    done = subprocess.run(command, capture_output=True)
    if done.returncode != 0:
        raise ExportError(f"cannot write {path}: ffmpeg failed ({_last_line(done.stderr)})")


def to_srt(subtitles: list[tuple[float, float, str]]) -> str:
    return "".join(f"{i}\n{_stamp(a, ',')} --> {_stamp(b, ',')}\n{text}\n\n" for i, (a, b, text) in enumerate(subtitles, 1))


def to_vtt(subtitles: list[tuple[float, float, str]]) -> str:
    # WebVTT reads '<' as a tag and '&' as a character reference ("I <3 you & me" showed
    # "I "), and a cue may not hold '-->': all escaped.
    return "WEBVTT\n\n" + "".join(
        f"{_stamp(a, '.')} --> {_stamp(b, '.')}\n"
        f"{text.replace('&', '&amp;').replace('<', '&lt;').replace('>', '&gt;')}\n\n" for a, b, text in subtitles)


def _cue(text: str) -> str:
    """A line's text as one cue: a blank line ends a cue in both formats (the rest of a line
    written "first\\n\\nsecond" was lost, or read as a cue of its own), so there are none; a
    caption of spaces alone is no cue."""
    return "\n".join(line for line in text.splitlines() if line.strip())


def _stamp(seconds: float, comma: str) -> str:
    ms = round(seconds * 1000)
    h, rest = divmod(ms, 3_600_000)
    m, rest = divmod(rest, 60_000)
    s, ms = divmod(rest, 1000)
    return f"{h:02d}:{m:02d}:{s:02d}{comma}{ms:03d}"


def _aspect(name: str) -> float:
    w, h = name.split(":")
    return float(w) / float(h)


def _iso639_2(language: str | None) -> str:
    """The three-letter code an MP4 track names the BCP 47 `language` by (ISO 639-2/T, as
    langcodes gives it: `fr` fra, `th` tha, `iw` heb); 'und' (undetermined) when unknown."""
    if not language:
        return "und"
    import langcodes

    try:
        return langcodes.Language.get(str(language).replace("_", "-")).to_alpha3()
    except (LookupError, ValueError):  # no such language, or not a tag
        return "und"
