"""Engine overhead: our DiffusionEngine against a bare, hand-written diffusers call.

Both sides draw the same panels (1 face, 3 faces, 5 mixed identities: 3 faces + 2 drawn, and
3 faces posed by a ControlNet from staged figures; fixed seeds) on the same pipeline object: the engine's own, after a warm-up that loads every
adapter. The bare side gets everything prepared in advance (embeds, masks at latent size,
IP-Adapter scales set once per group) and only calls `pipe(...)`; the engine side is
`engine.render(engine.prepare(request))` from a `PanelRequest` (prepare draws the pose
control image; the bare side gets it ready-made and calls the same ControlNet pipeline). Rounds alternate which side goes first;
medians per panel (wall clock and process CPU time) and the ratio engine / bare are printed, and every pair of images is checked
to be pixel-identical (same work, or the ratio would mean nothing).

    python bench/engine_overhead.py                      # tiny model, 256x256, 5 rounds
    python bench/engine_overhead.py --sizes tiny,full    # + full-size SD-1.5 architecture, 512x512
    python bench/engine_overhead.py --json

The full-size model is the SD-1.5 architecture with random weights (configs of the released
model, nothing downloaded), FaceID/Plus adapters of the released shapes and a rank-64 LoRA as
the LCM-LoRA stand-in; on a 2-core CPU one 512x512 4-step panel takes about a minute.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "bench")]

from _common import machine, median, table  # noqa: E402

SIZES = {"tiny": {"px": 256, "rounds": 5}, "full": {"px": 512, "rounds": 2}}
GROUPS = [("1 face", 1, 0, False), ("3 faces", 3, 0, False), ("5 mixed", 3, 2, False),
          ("3 faces + pose", 3, 0, True)]


def panels(px: int, faces: int, drawn: int, count: int, token_shape, posed: bool = False):
    """`count` requests with `faces` + `drawn` identities side by side, fixed seeds; `posed`:
    each member also staged as a standing figure (the pose control image's input)."""
    import numpy as np

    from storyboard.engines.base import CastMember, Identity, PanelRequest
    from storyboard.masks import region_mask
    from storyboard.staging import StagedFigure

    n = faces + drawn
    out = []
    for k in range(count):
        rng = np.random.default_rng(1000 * n + k)
        cast = []
        for i in range(n):
            box = (i / n, 0.1, (i + 1) / n, 0.95)
            if i < faces:
                v = rng.standard_normal(512).astype(np.float32)
                ident = Identity("face", v / np.linalg.norm(v))
            else:
                ident = Identity("drawn", rng.standard_normal(token_shape).astype(np.float32))
            cast.append(CastMember(f"c{i}", f"C{i}", "", box, identity=ident, mask=region_mask(box, px, px)))
        out.append(
            PanelRequest(
                scene=0, panel=k, label=f"panel {k}", prompt="a keeper in the lamp room",
                negative_prompt="blurry", width=px, height=px, seed=42 + k, cast=tuple(cast),
                staging=tuple(StagedFigure(m.id, "human", "standing", m.box, (m.box[0] + 0.3 * (m.box[2] - m.box[0]),
                              m.box[1], m.box[2] - 0.3 * (m.box[2] - m.box[0]), m.box[1] + 0.12), (0.5, 0.2))
                              for m in cast) if posed else (),
            )
        )
    return out


def bare_inputs(pipe, request, guidance: float, adapters: list[str]):
    """What a hand-written caller passes for one panel: everything precomputed once."""
    import numpy as np
    import torch
    from PIL import Image

    f = pipe.vae_scale_factor
    size = (request.width // f, request.height // f)
    embeds, masks, scales = [], [], []
    for kind in adapters:
        members = [m for m in request.cast if m.identity.kind == kind]
        if members:
            pos = torch.from_numpy(np.stack([m.identity.embedding for m in members]))[None]
            grid = [np.asarray(Image.fromarray(np.asarray(m.mask, dtype=np.float32)).resize(size, Image.Resampling.BOX)) for m in members]
            masks.append(torch.from_numpy(np.clip(np.stack(grid), 0, 1))[None])
            scales.append([0.8 if kind == "face" else 0.7] * len(members))
        else:
            layer = pipe.unet.encoder_hid_proj.image_projection_layers[adapters.index(kind)]
            dim = layer.proj_in.in_features if kind == "drawn" else 512
            pos = torch.zeros((1, 1, 1, dim) if kind == "drawn" else (1, 1, dim))
            masks.append(None)
            scales.append([0.0])
        embeds.append(torch.cat([torch.zeros_like(pos), pos]) if guidance > 1 else pos)
    return embeds, masks, scales


def run_size(name: str, rounds: int, steps: int, per_group: int, guidance, groups_wanted, log) -> dict:
    import numpy as np
    import torch

    from PIL import Image

    from storyboard.engines.diffusion import DiffusionEngine
    from tests.diffusion.tiny_models import build_all, build_controlnet

    px = SIZES[name]["px"]
    with tempfile.TemporaryDirectory(prefix=f"bench-{name}-") as tmp:
        log(f"[{name}] building random-weight models ...")
        m = build_all(Path(tmp), full_size=name == "full")
        posed = {label for label, *_, pose in GROUPS if pose and label in groups_wanted}
        controlnet = build_controlnet(Path(tmp) / "controlnet", m["model"]) if posed else None
        engine = DiffusionEngine(
            model=str(m["model"]), face_adapter=str(m["face"]), drawn_adapter=str(m["drawn"]),
            fast_lora=str(m["lcm"]), steps=steps, guidance=guidance,
            controlnet=str(controlnet) if controlnet else None, composition="pose" if controlnet else "none",
        )
        token_shape = (257, 1280) if name == "full" else (17, 32)
        groups = {label: panels(px, f, d, per_group, token_shape, pose)
                  for label, f, d, pose in GROUPS if label in groups_wanted}
        log(f"[{name}] warm-up (loads the pipeline, the adapters and the ControlNet) ...")
        for label in sorted(groups, key=lambda g: g != "5 mixed"):  # both adapters from the start
            engine.render(engine.prepare(groups[label][0]))
        pipe = engine._pipe
        adapters = [spec.kind for spec in engine._specs]
        prepared = {label: [bare_inputs(pipe, r, engine.guidance, adapters) for r in reqs] for label, reqs in groups.items()}
        controls = {label: [Image.fromarray(engine.prepare(r).control) if label in posed else None for r in reqs]
                    for label, reqs in groups.items()}

        def side_engine(label):
            out = []
            for r in groups[label]:
                t, c = time.perf_counter(), time.process_time()
                img = engine.render(engine.prepare(r))
                out.append(((time.perf_counter() - t, time.process_time() - c), img))
            return out

        def side_bare(label):
            out = []
            for i, r in enumerate(groups[label]):
                embeds, masks, scales = prepared[label][i]
                control = controls[label][i]
                extra = {} if control is None else {"image": control, "controlnet_conditioning_scale": engine.control_scale}
                call = pipe if control is None else engine._control_pipe
                t, c = time.perf_counter(), time.process_time()
                if i == 0:
                    pipe.set_ip_adapter_scale(scales)
                img = call(
                    prompt=r.prompt, negative_prompt=r.negative_prompt, height=r.height, width=r.width,
                    num_inference_steps=steps, guidance_scale=engine.guidance,
                    generator=torch.Generator("cpu").manual_seed(r.seed),
                    ip_adapter_image_embeds=embeds, cross_attention_kwargs={"ip_adapter_masks": masks}, **extra,
                ).images[0]
                out.append(((time.perf_counter() - t, time.process_time() - c), img))
            return out

        times = {label: {"engine": [], "bare": []} for label in groups}
        identical = True
        for rnd in range(rounds):
            for label in groups:
                order = [("engine", side_engine), ("bare", side_bare)]
                if rnd % 2:
                    order.reverse()
                results = {}
                for side, fn in order:
                    results[side] = fn(label)
                    times[label][side] += [t for t, _ in results[side]]
                for (_, a), (_, b) in zip(results["engine"], results["bare"]):
                    identical &= bool(np.array_equal(np.asarray(a), np.asarray(b)))
            log(f"[{name}] round {rnd + 1}/{rounds} done")
    rows = []
    for label, t in times.items():
        e, b = median([w for w, _ in t["engine"]]), median([w for w, _ in t["bare"]])
        ec, bc = median([c for _, c in t["engine"]]), median([c for _, c in t["bare"]])
        rows.append({"size": name, "panels": label, "px": px, "steps": steps, "guidance": engine.guidance, "engine_s": e, "bare_s": b, "ratio": e / b,
                     "engine_cpu_s": ec, "bare_cpu_s": bc, "cpu_ratio": ec / bc, "samples": len(t["engine"])})
    return {"rows": rows, "identical_pixels": identical}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="tiny", help="comma-separated: tiny, full (default: tiny)")
    ap.add_argument("--rounds", type=int, help="alternating rounds per size (default: tiny 5, full 2)")
    ap.add_argument("--panels", type=int, default=2, help="panels per group per round (default 2)")
    ap.add_argument("--steps", type=int, default=4)
    ap.add_argument("--guidance", type=float, help="guidance scale (default: the engine's, 1.5; 1 skips CFG)")
    ap.add_argument("--groups", default=",".join(g[0] for g in GROUPS), help="panel groups to run (default: all)")
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (default: torch's choice)")
    ap.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    args = ap.parse_args(argv)
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    log = (lambda msg: print(msg, file=sys.stderr)) if args.json else print
    result = {"machine": machine(), "torch_threads": torch.get_num_threads(), "sizes": {}}
    for name in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        if name not in SIZES:
            ap.error(f"unknown size {name!r}: choose from {', '.join(SIZES)}")
        rounds = args.rounds or SIZES[name]["rounds"]
        wanted = {g.strip() for g in args.groups.split(",")}
        result["sizes"][name] = run_size(name, rounds, args.steps, args.panels, args.guidance, wanted, log)
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    rows = [r for s in result["sizes"].values() for r in s["rows"]]
    print(table(["size", "panels", "px", "steps", "cfg", "engine s", "bare s", "ratio", "engine cpu s", "bare cpu s", "cpu ratio", "n"],
                [[r["size"], r["panels"], r["px"], r["steps"], r["guidance"], r["engine_s"], r["bare_s"], round(r["ratio"], 3),
                  r["engine_cpu_s"], r["bare_cpu_s"], round(r["cpu_ratio"], 3), r["samples"]] for r in rows]))
    print("s = median wall seconds per panel; cpu s = median process CPU seconds (steadier on a shared machine)")
    for name, s in result["sizes"].items():
        print(f"{name}: engine and bare images identical: {'yes' if s['identical_pixels'] else 'NO'}")
    print(f"machine: {result['machine']['cpu']}, {result['machine']['cores']} cores, torch threads {result['torch_threads']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
