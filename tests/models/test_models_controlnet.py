"""`storyboard models` lists the ControlNet a composition needs, from the hub cache layout."""

from __future__ import annotations

from .test_models_command import cached, hub_cache, listing, story  # noqa: F401 (fixture)


def test_composition_pose_needs_the_family_controlnet(tmp_path, hub_cache, capsys):  # noqa: F811
    code, rows = listing(capsys, str(story(tmp_path, extra=", composition: pose")))
    net = next(row for row in rows if row["key"] == "controlnet")
    assert net["ref"] == "lllyasviel/control_v11p_sd15_openpose" and not net["present"]
    assert net["download"] == ("hf download lllyasviel/control_v11p_sd15_openpose config.json "
                               "diffusion_pytorch_model.safetensors")
    assert net["size"] == "~1.45 GB"
    cached(hub_cache, "lllyasviel/control_v11p_sd15_openpose", ["config.json", "diffusion_pytorch_model.safetensors"])
    code, rows = listing(capsys, str(story(tmp_path, extra=", composition: pose")))
    assert next(row for row in rows if row["key"] == "controlnet")["present"]


def test_no_controlnet_is_listed_unless_the_composition_asks(tmp_path, hub_cache, capsys):  # noqa: F811
    code, rows = listing(capsys, str(story(tmp_path)))
    assert "controlnet" not in {row["key"] for row in rows}
    code, rows = listing(capsys, str(story(tmp_path, extra=", composition: sketch, controlnet: me/my-scribble")))
    net = next(row for row in rows if row["key"] == "controlnet")
    assert net["ref"] == "me/my-scribble" and net["chosen_by"] == "script"
