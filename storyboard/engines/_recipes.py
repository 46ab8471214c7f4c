"""Few-step sampling recipes: a distillation LoRA, the scheduler it was distilled for, and its
published steps and guidance, per base-model family.

    recipe     family  LoRA (default)                                        scheduler                    steps  guidance
    lcm        sd15    latent-consistency/lcm-lora-sdv1-5                    LCMScheduler                 4      1.5
               sdxl    latent-consistency/lcm-lora-sdxl                      LCMScheduler                 4      1.5
    tcd        sd15    h1t/TCD-SD15-LoRA                                     TCDScheduler (eta 0.3)       4      0
               sdxl    h1t/TCD-SDXL-LoRA                                     TCDScheduler (eta 0.3)       4      0
    hyper      sd15    ByteDance/Hyper-SD/Hyper-SD15-4steps-lora.safetensors DDIMScheduler, trailing     4      0
               sdxl    ByteDance/Hyper-SD/Hyper-SDXL-4steps-lora.safetensors DDIMScheduler, trailing     4      0
    lightning  sdxl    ByteDance/SDXL-Lightning/sdxl_lightning_4step_lora.safetensors
                                                                             EulerDiscreteScheduler, trailing  4  0
    dmd2       sdxl    tianweiy/DMD2/dmd2_sdxl_4step_lora_fp16.safetensors   LCMScheduler, timesteps 999/749/499/249  4  0

Settings are those of each model card (LCM-LoRA: 2-8 steps, guidance 1-2; TCD: `eta` (gamma)
0.3, no CFG; Hyper-SD N-step LoRAs: DDIM with trailing timesteps, no CFG; SDXL-Lightning:
Euler with trailing timesteps, no CFG; DMD2 4-step LoRA: LCMScheduler at the four timesteps
it was distilled on, no CFG). Lightning and DMD2 publish SDXL LoRAs only. `fast: off` samples
with the model's own scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from storyboard.errors import GenerationError

NAMES = ("lcm", "tcd", "hyper", "lightning", "dmd2")
OFF = "off"
FULL_STEPS, FULL_GUIDANCE = 30, 7.0  # the model's own scheduler


@dataclass(frozen=True)
class Recipe:
    name: str
    lora: str  # hub reference of the distillation LoRA
    scheduler: str  # diffusers scheduler class
    steps: int
    guidance: float
    scheduler_config: dict[str, Any] = field(default_factory=dict)  # over the model's scheduler config
    call: dict[str, Any] = field(default_factory=dict)  # extra pipeline arguments (eta, timesteps)

    def call_kwargs(self, steps: int) -> dict[str, Any]:
        """Extra pipeline arguments for `steps` steps: fixed timesteps only at the steps they list."""
        out = dict(self.call)
        if "timesteps" in out and len(out["timesteps"]) != steps:
            del out["timesteps"]
        return out


_TRAILING = {"timestep_spacing": "trailing"}
RECIPES: dict[str, dict[str, Recipe]] = {
    "sd15": {
        "lcm": Recipe("lcm", "latent-consistency/lcm-lora-sdv1-5", "LCMScheduler", 4, 1.5),
        "tcd": Recipe("tcd", "h1t/TCD-SD15-LoRA", "TCDScheduler", 4, 0.0, call={"eta": 0.3}),
        "hyper": Recipe("hyper", "ByteDance/Hyper-SD/Hyper-SD15-4steps-lora.safetensors", "DDIMScheduler", 4, 0.0,
                        _TRAILING),
    },
    "sdxl": {
        "lcm": Recipe("lcm", "latent-consistency/lcm-lora-sdxl", "LCMScheduler", 4, 1.5),
        "tcd": Recipe("tcd", "h1t/TCD-SDXL-LoRA", "TCDScheduler", 4, 0.0, call={"eta": 0.3}),
        "hyper": Recipe("hyper", "ByteDance/Hyper-SD/Hyper-SDXL-4steps-lora.safetensors", "DDIMScheduler", 4, 0.0,
                        _TRAILING),
        "lightning": Recipe("lightning", "ByteDance/SDXL-Lightning/sdxl_lightning_4step_lora.safetensors",
                            "EulerDiscreteScheduler", 4, 0.0, _TRAILING),
        "dmd2": Recipe("dmd2", "tianweiy/DMD2/dmd2_sdxl_4step_lora_fp16.safetensors", "LCMScheduler", 4, 0.0,
                       call={"timesteps": [999, 749, 499, 249]}),
    },
}


def normalise(fast: bool | str | None) -> str:
    """'lcm', 'tcd', ... or 'off' from a `generation.fast` value (true means lcm)."""
    if fast is None or fast is True:
        return "lcm"
    if fast is False:
        return OFF
    name = str(fast).strip().lower()
    if name not in (*NAMES, OFF):
        raise GenerationError(f"unknown fast recipe '{fast}': choose one of {', '.join((*NAMES, OFF))}")
    return name


def defaults(name: str) -> tuple[int, float]:
    """(steps, guidance) of recipe `name` ('off': the model's own scheduler); the same for every
    family that has it."""
    if name == OFF:
        return FULL_STEPS, FULL_GUIDANCE
    found = RECIPES["sdxl"][name]
    return found.steps, found.guidance


def recipe(name: str, family: str) -> Recipe:
    """The recipe `name` for `family`; a one-line error listing the family's recipes if none."""
    found = RECIPES[family].get(name)
    if found is None:
        have = ", ".join(RECIPES[family])
        model = {"sd15": "SD 1.5", "sdxl": "SDXL"}[family]
        raise GenerationError(f"fast recipe '{name}' does not exist for {model} models: choose one of {have}, or off")
    return found


def scheduler(pipe, found: Recipe):
    """The recipe's scheduler, built from the pipeline's own config (betas, offsets) plus its settings."""
    import diffusers

    cls = getattr(diffusers, found.scheduler)
    return cls.from_config(pipe.scheduler.config, **found.scheduler_config)
