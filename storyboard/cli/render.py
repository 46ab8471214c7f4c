"""`storyboard render SCRIPT -o OUT...`: the whole job, with a progress bar on a terminal."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

ORDER = 20
# What people call a format (`--format png`): the choice that writes it.
FORMAT_ALIASES = {"png": "pages", "pngs": "pages", "folder": "pages", "zip": "cbz", "comic": "cbz",
                  "strip": "webtoon", "mp4": "animatic", "video": "animatic", "csv": "shotlist"}


def add_generation_arguments(p: argparse.ArgumentParser) -> None:
    """Flags that override the script's `generation:` section (shared with `watch`)."""
    g = p.add_argument_group("generation (override the script's generation: section)")
    g.add_argument("--engine", choices=["draft", "diffusion"], help="draft sketches (no model) or diffusion")
    g.add_argument("--seed", type=int, help="base seed; panels with their own seed keep it")
    g.add_argument("--model", help="base model: hub id, local folder or single file")
    g.add_argument("--face-adapter", help="IP-Adapter FaceID checkpoint for face characters")
    g.add_argument("--drawn-adapter", help="IP-Adapter Plus checkpoint for drawn characters")
    g.add_argument("--face-models", help="InsightFace model pack name or folder of ONNX models")
    g.add_argument("--drawn-encoder", help="CLIP image encoder for drawn characters (must match --drawn-adapter)")
    g.add_argument("--fast-lora", help="the few-step recipe's LoRA (default: the recipe's published one)")
    g.add_argument("--fast", nargs="?", const="lcm", default=None, metavar="RECIPE",
                   choices=["lcm", "tcd", "hyper", "lightning", "dmd2", "off"],
                   help="few-step sampling recipe: lcm (default; --fast alone), tcd, hyper, lightning, dmd2, or off")
    g.add_argument("--no-fast", dest="fast", action="store_const", const="off",
                   help="full-step sampling with the model's own scheduler (same as --fast off)")
    g.add_argument("--steps", type=int, help="sampling steps")
    g.add_argument("--guidance", type=float, help="classifier-free guidance scale")
    g.add_argument("--device", choices=["auto", "cpu", "cuda", "mps"], help="where the model runs (default: auto)")
    g.add_argument("--dtype", choices=["auto", "fp32", "fp16", "bf16"], help="weights precision (default: auto)")
    g.add_argument("--compile", action="store_true", default=None,
                   help="channels_last + torch.compile of the UNet and VAE (GPU speed; first panel compiles)")
    g.add_argument("--offload", action="store_true", default=None, help="model CPU offload (less GPU memory)")
    g.add_argument("--batch", type=int, help="panels generated together (same size and cast count)")
    g.add_argument("--candidates", type=int, metavar="N",
                   help="best-of-N: draw N seeds of each panel with identities, keep the most alike (default: 1)")
    g.add_argument("--composition", choices=["pose", "sketch", "none"],
                   help="ControlNet input from the staging: OpenPose skeletons, the draft's lines, or none "
                        "(default: pose when a ControlNet is named or already downloaded)")
    g.add_argument("--controlnet", metavar="REF", help="ControlNet weights: hub id or local folder/file")
    g.add_argument("--control-scale", type=float, metavar="X", help="ControlNet conditioning scale (default 0.8)")
    g.add_argument("--refine", type=float, metavar="X",
                   help="second pass: upscale by X and redraw at strength 0.35 (0: off, the default)")
    g.add_argument("--library", help="character library folder (default: STORYBOARD_LIBRARY or per-user folder)")
    x = p.add_argument_group("executor (where uncached panels are drawn)")
    x.add_argument("--executor", default="local", metavar="WHERE",
                   help="local (this process, the default), ray (RAY_ADDRESS, else a local Ray), ray:auto "
                        "(the running cluster) or ray://HOST:PORT; ray needs the 'ray' extra")
    x.add_argument("--workers", type=int, metavar="N", help="Ray worker actors, each loading the engine once (default: 1)")
    x.add_argument("--gpus-per-worker", type=float, metavar="F",
                   help="GPUs each Ray worker reserves; fractions share a GPU (default: 0)")
    o = p.add_argument_group("output")
    cache = o.add_mutually_exclusive_group()  # --cache DIR --no-cache: DIR would not be used
    cache.add_argument("--cache", metavar="DIR", help="panel cache folder, or an fsspec URL (file://, s3://...: "
                       "the 'cloud' extra) shared by several machines (default: STORYBOARD_CACHE or per-user cache)")
    cache.add_argument("--no-cache", action="store_true", help="neither read nor write the panel cache")
    o.add_argument("--font", help="TTF/OTF lettering font (overrides the script's style.font)")
    o.add_argument("--max-side", type=int,
                   help="cap on the longest side of a generated panel in pixels "
                        "(default: the model family's native sizes)")
    o.add_argument("--upscale", default="lanczos",
                   help="bring panels to print resolution: lanczos, or a super-resolution model file / hub id")
    o.add_argument("--save-controls", metavar="DIR", help="write each panel's control image to DIR")
    o.add_argument("--no-watermark", action="store_true", help="do not mark panels as machine-generated")


def add_allow_path_argument(p: argparse.ArgumentParser) -> None:
    """--allow-path: folders besides the script's own that its file names may point into."""
    p.add_argument("--allow-path", action="append", default=[], metavar="DIR", type=_existing_folder,
                   help="a folder the script may name files in besides its own (repeatable; "
                        "also STORYBOARD_ALLOW_PATHS)")


def _existing_folder(text: str) -> str:
    # A mistyped folder would allow nothing, and the script's files would then be refused as
    # "outside the script's folder" while the user did name the folder.
    if not Path(text).expanduser().is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is not a folder")
    return text


def register(sub) -> None:
    from storyboard.render import FORMATS

    p = sub.add_parser("render", help="render a story to PDF, CBZ, PNG pages, a webtoon strip, an animatic or a shot list")
    p.add_argument("script", help="story script (.yaml)")
    p.add_argument("-o", "--output", action="append", metavar="OUT",
                   help="output: file.pdf, file.cbz, a folder (ending in /) of PNG pages, a webtoon strip "
                        "folder (name.webtoon/), an animatic (file.mp4) or a shot list (file.csv); repeatable "
                        "(default: SCRIPT name with .pdf, or .webtoon for a page.size: webtoon story, or the --format's own "
                        "suffix, in the current folder)")
    formats = p.add_argument("--format", choices=FORMATS,
                             help="the format of every -o, whatever its name says (e.g. --format webtoon -o strip/)")
    formats.aliases = FORMAT_ALIASES
    p.add_argument("--json", action="store_true", help="print one JSON summary object instead of the summary line")
    p.add_argument("--strict", action="store_true",
                   help="a panel lettered against the rules, or a violation check-lettering would report, is an "
                        "error: each is printed located, nothing is written, exit 1 (type shrunk to fit stays a warning)")
    add_allow_path_argument(p)
    add_translation_arguments(p)
    add_generation_arguments(p)
    p.set_defaults(func=run)


def add_translation_arguments(p: argparse.ArgumentParser, batch: bool = False) -> None:
    """`--lang` and `--translation` (shared with `watch`, `validate` and, each story, `batch`)."""
    t = p.add_argument_group("translated editions")
    each = "each story's edition" if batch else "the edition"
    t.add_argument("--lang", metavar="LANG",
                   help=f"letter {each} in LANG (BCP 47, any case) from translations/SCRIPT.LANG.yaml beside the "
                        "script, else the folder's translations/LANG.yaml"
                        + (", to OUTDIR/NAME.LANG.pdf (...)" if batch else ""))
    t.add_argument("--translation", metavar="FILE",
                   help="letter the one story given from this translations file (a file translates one "
                        "story: use --lang for several)" if batch else "letter the edition from this translations file")


def check_lang(args) -> None:
    """`--lang` must be a language tag: it names a file, so `--lang ../x` must not reach one.
    The tag is put in its canonical case here, once for every command that takes it (tags are
    case-insensitive: `--lang en-us` is `en-US`, the files and outputs it names too)."""
    from storyboard.errors import quote
    from storyboard.translations import checked_tag

    lang = getattr(args, "lang", None)
    if lang:
        args.lang = checked_tag(lang, f"--lang {quote(lang)}")  # (quoted: a newline in it stays one line)


def translation_file(story, args) -> Path | None:
    """The translations file `--lang` / `--translation` name, or None for the script's own text
    (`translations.edition_file`: the file `edition` reads)."""
    from storyboard.translations import edition_file

    check_lang(args)
    return edition_file(story, getattr(args, "lang", None), getattr(args, "translation", None) or None)


def default_output(script: str, story, source, fmt: str | None = None) -> str:
    """SCRIPT.pdf, or SCRIPT.LANG.pdf for a translated edition, in the current folder; a
    `page.size: webtoon` story has no pages: SCRIPT.webtoon, its strip folder. With `fmt`
    (`--format`), the name that format's outputs have: SCRIPT.cbz, SCRIPT/ for pages..."""
    from storyboard.render import FORMAT_SUFFIXES  # (a folder of pages has none)

    kind = FORMAT_SUFFIXES.get(fmt, "") if fmt else ".webtoon" if story.page.size == "webtoon" else ".pdf"
    suffix = f".{story.language}{kind}" if story is not source else kind
    name = Path(script).with_suffix(suffix).name
    return f"{name}/" if fmt == "pages" else name


def edition(story, args):
    """The story as `--lang` / `--translation` ask: translated, or as written."""
    from storyboard import translations

    check_lang(args)
    return translations.edition(story, getattr(args, "lang", None), getattr(args, "translation", None),
                                getattr(args, "font", None))


ENGINE_FLAGS = ("model", "face_adapter", "drawn_adapter", "fast_lora", "fast", "steps", "guidance",
                "device", "dtype", "offload", "compile", "batch", "composition", "controlnet", "control_scale", "refine")


def check_flags(args) -> None:
    """Flags obey the rules the same values obey in a script: a bad one is one line, exit 2."""
    from storyboard.errors import StoryboardError
    from storyboard.render import option_problems

    bad = option_problems(seed=args.seed, steps=args.steps, guidance=args.guidance, max_side=args.max_side,
                          candidates=args.candidates, control_scale=args.control_scale, refine=args.refine)
    if args.batch is not None and args.batch < 1:  # the diffusion engine's rule, refused under every engine
        bad.append(("batch", args.batch, "input should be greater than or equal to 1"))
    from storyboard.executors import executor_problems, parse_executor

    bad += executor_problems(getattr(args, "workers", None), getattr(args, "gpus_per_worker", None))
    if bad:
        raise StoryboardError("; ".join(f"--{name.replace('_', '-')} {value}: {why}" for name, value, why in bad))
    kind, _ = parse_executor(getattr(args, "executor", "local"))
    unused = [flag for flag, name in (("--workers", "workers"), ("--gpus-per-worker", "gpus_per_worker"))
              if getattr(args, name, None) is not None]
    if kind == "local" and unused:  # (they were ignored without a word)
        raise StoryboardError(f"{', '.join(unused)} would not be used: the local executor draws in this process; "
                              "add --executor ray for Ray workers")
    check_lang(args)
    check_not_stdout(args)


def check_not_stdout(args) -> None:
    """`-o -` (render, watch, batch) would write a file or folder named '-': refuse it. Standard
    output is not offered: every output has its manifest written beside it, pages and strips
    are folders, and an output is whole or absent, which a pipe cannot promise."""
    from storyboard.errors import ExportError

    outputs = args.output if isinstance(args.output, list) else [args.output]
    if "-" not in outputs:
        return
    if not isinstance(args.output, list):  # batch's OUTDIR
        raise ExportError("-o -: batch writes each story into a folder, not to standard output: name a folder, "
                          "e.g. -o out/")
    raise ExportError("-o -: storyboard writes its outputs as files and folders (each with a manifest beside it), "
                      "not to standard output: name one, e.g. -o story.pdf")


def render_kwargs(args, story) -> dict:
    """Keyword arguments for `storyboard.render` from parsed flags and the script."""
    from storyboard.errors import StoryboardError
    from storyboard.render import choose_engine

    engine = choose_engine(story, args.engine)
    unused = [f"--{name.replace('_', '-')}" for name in (*ENGINE_FLAGS, "save_controls")
              if getattr(args, name, None) is not None]  # (the draft engine has no control images)
    if engine == "draft" and unused:  # as --upscale: a flag that would change nothing is a mistake
        raise StoryboardError(f"{', '.join(unused)} would not be used: the draft engine draws sketches without a "
                              "model; leave them out, or render with --engine diffusion")
    return dict(
        engine=engine,
        engine_options={name: getattr(args, name) for name in ENGINE_FLAGS} if engine != "draft" else {},
        save_controls=args.save_controls,
        **generation_kwargs(args),
    )


def generation_kwargs(args) -> dict:
    """The keyword arguments of `render` and `render_many` that come straight from the
    generation flags (`add_generation_arguments`), whatever the engine."""
    return dict(
        seed=args.seed,
        cache=False if args.no_cache else args.cache,
        font=args.font,
        max_side=args.max_side,
        library=args.library,
        face_models=args.face_models,
        drawn_encoder=args.drawn_encoder,
        watermark=not args.no_watermark,
        upscale=args.upscale,
        candidates=args.candidates,
        executor=args.executor,
        workers=args.workers,
        gpus_per_worker=args.gpus_per_worker,
    )


def run(args) -> int:
    from storyboard.cli import finished
    from storyboard.errors import LetteringError, MissingExtraError, StoryboardError
    from storyboard.render import render
    from storyboard.script import load_story

    check_flags(args)
    source = load_story(args.script, allow_paths=args.allow_path)
    story = edition(source, args)
    outputs = args.output or [default_output(args.script, story, source, args.format)]
    if args.format:
        outputs = [(out, args.format) for out in outputs]
    try:
        named = [str(out[0] if isinstance(out, tuple) else out) for out in outputs]
        with progress_reporter(enabled=sys.stderr.isatty() and not args.json, writing=named) as progress:
            result = render(story, out=outputs, progress=progress, strict=args.strict, **render_kwargs(args, story))
        finished()  # every output is written: what is left is to say so
    except LetteringError as err:
        from storyboard._words import counted

        for problem in err.problems:
            print(problem, file=sys.stderr)
        print(f"error: {counted(len(err.problems), 'lettering problem')} (--strict): nothing was written", file=sys.stderr)
        return err.exit_code
    except KeyboardInterrupt as stop:
        stop.outputs = [str(out[0] if isinstance(out, tuple) else out) for out in outputs]  # as the user named them
        raise
    except MissingExtraError as err:
        if err.extra != "diffusion" or args.engine:
            raise
        # A first render without --engine: say where the engine came from, and how to sketch without it.
        chosen = ("the script's generation.engine is 'diffusion'" if story.generation.engine
                  else "no engine was named, so the default 'diffusion' was chosen")
        raise StoryboardError(f"{err} ({chosen}; --engine draft sketches without it)") from None
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    if args.json:
        print(json.dumps(result.summary()))
    else:
        print(summary_line(result))
    return 0


def summary_line(result) -> str:
    from storyboard._words import counted
    from storyboard.render import by_name

    # a folder given as '.' by its full path ('wrote .:' said nothing of where the pages went)
    outs = ", ".join(str(by_name(p)) for p in result.outputs)
    kinds = set(result.formats)
    # What was written: pages where a PDF, CBZ or page folder was, a strip's images where one was.
    held = [counted(result.pages, "page")] if kinds & {"pdf", "cbz", "pages"} else []
    if "webtoon" in kinds:
        held.append(f"a strip of {counted(result.strip_images, 'image')}")
    laid_out = "".join(f"{h}, " for h in held)
    return (f"wrote {outs}: {laid_out}{counted(result.panels_total, 'panel')} "
            f"({result.panels_generated} generated, {result.panels_cached} cached) in {result.seconds:.1f} s")


class progress_reporter:
    """A rich progress bar over panels when stderr is a terminal; nothing otherwise. `writing`:
    the outputs, named once every panel is in (the pages are lettered and the outputs written
    then: seconds for a long book or an animatic, which a bar left on its last panel hid)."""

    def __init__(self, enabled: bool, writing: Sequence[str] = ()):
        self.enabled = enabled
        self.writing = list(writing)
        self._bar = None
        self._task = None

    def __enter__(self):
        if not self.enabled:
            return None
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self._bar = Progress(TextColumn("panels"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                             TextColumn("{task.description}"), transient=True)
        self._bar.start()
        return self._update

    def _update(self, done: int, total: int, request, status: str) -> None:
        if self._task is None:
            self._task = self._bar.add_task("", total=total)
        self._bar.update(self._task, completed=done, total=total, description=self.description(done, total, request, status))

    def description(self, done: int, total: int, request, status: str) -> str:
        if done >= total and self.writing:
            return f"writing {', '.join(self.writing)}"
        return f"{request.label} ({status})"

    def __exit__(self, *exc):
        if self._bar is not None:
            self._bar.stop()
        return False
