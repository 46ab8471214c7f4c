"""Model references: local paths first, then hub ids; hub failures as one-line errors."""

from __future__ import annotations

import pytest

from storyboard import hub
from storyboard.errors import GenerationError


def test_existing_local_path_wins_relative_to_base_dir(tmp_path):
    (tmp_path / "peels").mkdir()
    lora = tmp_path / "peels" / "ink.safetensors"
    lora.write_bytes(b"x")
    assert hub.parse("peels/ink.safetensors", tmp_path) == lora.resolve()
    assert hub.fetch_weights("peels/ink.safetensors", base_dir=tmp_path) == lora.resolve()


@pytest.mark.parametrize(
    "ref, repo, path",
    [
        ("latent-consistency/lcm-lora-sdv1-5", "latent-consistency/lcm-lora-sdv1-5", ""),
        ("h94/IP-Adapter/models/ip-adapter-plus_sd15.safetensors", "h94/IP-Adapter", "models/ip-adapter-plus_sd15.safetensors"),
    ],
)
def test_hub_ids_split_into_repo_and_path(tmp_path, ref, repo, path):
    assert hub.parse(ref, tmp_path) == hub.HubRef(repo, path)


@pytest.mark.parametrize("ref", ["peels/missing.safetensors", "./models/x", "justaname", "a//b"])
def test_missing_local_paths_are_not_taken_for_hub_ids(tmp_path, ref):
    with pytest.raises(GenerationError, match="not found"):
        hub.parse(ref, tmp_path)


def test_folder_with_one_lora_file_and_ambiguous_folder(tmp_path):
    one = tmp_path / "one"
    one.mkdir()
    (one / "pytorch_lora_weights.safetensors").write_bytes(b"x")
    (one / "other.safetensors").write_bytes(b"x")
    assert hub.fetch_weights("one", base_dir=tmp_path).name == "pytorch_lora_weights.safetensors"
    two = tmp_path / "two"
    two.mkdir()
    for name in ("a.safetensors", "b.safetensors"):
        (two / name).write_bytes(b"x")
    with pytest.raises(GenerationError, match="several weight files"):
        hub.fetch_weights("two", base_dir=tmp_path)


@pytest.mark.parametrize("ref", ["someone/no-such-lora", "someone/no-such-repo/sub/file.safetensors"])
def test_offline_cache_miss_names_the_model_and_the_fix(tmp_path, monkeypatch, ref):
    pytest.importorskip("huggingface_hub")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(GenerationError) as err:
        hub.fetch_weights(ref, cache_dir=tmp_path)
    msg = str(err.value)
    assert ref in msg and "HF_HUB_OFFLINE" in msg and "hf download" in msg and "\n" not in msg
