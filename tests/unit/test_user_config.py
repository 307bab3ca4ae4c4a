"""A user's config: typos, paths, weights files, image sizes and one-representation metrics are
caught before any job runs, with the key and the fix named (issue #15)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch
import torchvision
import yaml
from PIL import Image

from repgeom import config as cfg, runlock, selection
from repgeom.errors import ConfigError
from repgeom.models import zoo

REPO = Path(__file__).resolve().parents[2]


def _minimal(**extra):
    config = {
        "stimsets": {"g": {"kind": "gratings", "size": 32}},
        "models": {"r": {"architecture": "resnet18", "layers": ["stem", "pool"]}},
    }
    config.update(extra)
    return config


def _write(tmp_path: Path, config: dict, name: str = "c.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(config))
    return path


# -- typos -----------------------------------------------------------------------------------


def test_a_typo_names_the_closest_key_once_and_no_schema():
    config = _minimal()
    config["models"]["r"]["layer"] = config["models"]["r"].pop("layers")
    config["stimsets"]["g"]["sise"] = 32
    with pytest.raises(ConfigError) as info:
        cfg.validate(config)
    message = str(info.value)
    assert "models.r.layer: unknown key; did you mean 'layers'?" in message
    assert "stimsets.g.sise: unknown key; did you mean 'size'?" in message
    # the missing `layers` is the same mistake as `layer`: not reported a second time
    assert "'layers' is a required property" not in message
    assert message.count("\n") == 3  # a header, two problems, where the schema is
    assert "$defs" not in message and "additionalProperties" not in message


def test_an_unknown_key_without_a_close_match_lists_the_section():
    with pytest.raises(ConfigError, match=r"zzz: unknown key; the top level takes \['analyses'"):
        cfg.validate(_minimal(zzz=1))


# -- distances need two representations --------------------------------------------------------


def test_a_metric_over_one_representation_is_a_config_error():
    config = _minimal()
    config["models"]["r"]["layers"] = ["pool"]
    with pytest.raises(ConfigError, match=r"'g' has 1 representation .* add a model layer"):
        cfg.check(cfg.validate(config))
    config["analyses"] = {"distances": {"metrics": {}}}  # the fix the message names
    cfg.check(cfg.validate(config))


# -- input sizes -------------------------------------------------------------------------------


def test_a_vit_on_64_px_images_fails_in_check_config_with_the_fix(tmp_path):
    config = _minimal()
    config["stimsets"]["g"]["size"] = 64
    config["models"]["vit"] = {"architecture": "vit_b_16", "layers": ["block1"]}
    path = _write(tmp_path, config)
    with pytest.raises(ConfigError) as info:
        cfg.load(path)
    message = str(info.value)
    assert "models.vit: vit_b_16 takes 224 × 224 images only" in message
    assert "set stimsets.g.size: 224" in message
    assert "models.vit.kwargs: {image_size: 64}" in message
    config["models"]["vit"]["kwargs"] = {"image_size": 64}  # the second fix it names
    cfg.load(_write(tmp_path, config))


def test_the_cli_check_config_reports_the_image_size(tmp_path):
    config = _minimal()
    config["models"]["inc"] = {"architecture": "inception_v3", "layers": ["pool"]}
    proc = subprocess.run(
        [sys.executable, "-m", "repgeom", "check-config", str(_write(tmp_path, config))],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 2
    assert "models.inc: inception_v3 cannot take 32 × 32 images" in proc.stderr
    assert "set stimsets.g.size" in proc.stderr


def test_a_model_that_takes_the_size_passes_the_probe():
    assert zoo.input_size_problem("resnet18", 32) is None
    assert zoo.input_size_problem("vit_b_16", 64, {"image_size": 64}) is None
    reason, side = zoo.input_size_problem("vit_b_16", 64)
    assert side == 224 and "image_size" in reason


# -- files -------------------------------------------------------------------------------------


def test_relative_paths_are_resolved_against_the_launch_directory(tmp_path):
    config = cfg.validate(
        _minimal(
            stimsets={"mine": {"kind": "image_folder", "path": "data/imgs"}},
            models={"r": {"architecture": "resnet18", "layers": ["pool"], "weights": "w/r.pth"}},
            plugins=["plug.py", "some.module"],
        )
    )
    resolved = cfg.resolve_paths(config, tmp_path)
    assert resolved["stimsets"]["mine"]["path"] == str(tmp_path / "data/imgs")
    assert resolved["models"]["r"]["weights"] == str(tmp_path / "w/r.pth")
    assert resolved["plugins"] == [str(tmp_path / "plug.py"), "some.module"]
    assert config["stimsets"]["mine"]["path"] == "data/imgs"  # the input is left alone
    named = cfg.resolve_paths(cfg.validate(_minimal()), tmp_path)
    assert named["models"]["r"]["weights"] == "untrained"


def test_a_missing_image_folder_names_the_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = _minimal(stimsets={"mine": {"kind": "image_folder", "path": "nowhere"}})
    with pytest.raises(ConfigError, match=r"stimsets.mine.path: image folder .*nowhere does not"):
        cfg.load(_write(tmp_path, config))


def test_a_missing_recordings_file_names_the_key(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = _minimal(neural={"rec": {"kind": "file", "stimset": "g", "path": "rec.nc"}})
    with pytest.raises(ConfigError, match=r"neural.rec.path: recordings file .*rec.nc does not"):
        cfg.load(_write(tmp_path, config))


def test_every_image_of_a_folder_is_an_input_of_its_stimulus_set(tmp_path):
    for rel in ("cats/a.png", "cats/b.jpg", "dogs/c.png"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(np.zeros((8, 8, 3), np.uint8)).save(tmp_path / rel)
    (tmp_path / "notes.txt").write_text("not an image")
    config = cfg.validate(_minimal())
    config["stimsets"]["mine"] = {"kind": "image_folder", "path": str(tmp_path)}
    files = selection.stimset_files(config, "mine")
    assert files == [str(tmp_path / r) for r in ("cats/a.png", "cats/b.jpg", "dogs/c.png")]
    assert selection.stimset_files(config, "g") == []


# -- weights -----------------------------------------------------------------------------------


@pytest.fixture
def torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    return tmp_path / "torch" / "hub" / "checkpoints"


def _save_resnet18(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(torchvision.models.resnet18().state_dict(), path)
    return zoo.file_sha256(path)


def test_cached_weights_with_a_wrong_hash_are_refused(torch_home):
    expected = zoo.cached_weights_path("resnet18", "IMAGENET1K_V1")
    assert expected.parent == torch_home and zoo.HASH_IN_NAME.search(expected.name)
    _save_resnet18(expected)  # random weights under torchvision's file name
    with pytest.raises(ConfigError, match=r"fails its hash check: its name says SHA-256"):
        zoo.verify_weights("resnet18", "IMAGENET1K_V1")
    with pytest.raises(ConfigError, match="fails its hash check"):
        zoo.build_model("resnet18", weights="IMAGENET1K_V1")
    config = cfg.validate(_minimal())
    config["models"]["r"]["weights"] = "IMAGENET1K_V1"
    with pytest.raises(ConfigError, match=r"models.r.weights: .* fails its hash check"):
        cfg.check_inputs(config)


def test_a_file_whose_name_carries_its_hash_passes(tmp_path):
    scratch = tmp_path / "scratch.pth"
    digest = _save_resnet18(scratch)
    named = tmp_path / f"resnet18-{digest[:8]}.pth"
    scratch.rename(named)
    assert zoo.verify_weights("resnet18", str(named)) == named
    model = zoo.build_model("resnet18", weights=str(named))
    assert not model.training
    assert selection.weights_files(
        {"models": {"r": {"architecture": "resnet18", "weights": str(named)}}}, "r"
    ) == [str(named)]


def test_absent_cached_weights_name_the_expected_path(torch_home):
    with pytest.raises(Exception, match=r"not in the torch cache: expected .*resnet18-"):
        zoo.verify_weights("resnet18", "IMAGENET1K_V1")


# -- the DSA tutorial ----------------------------------------------------------------------------


def test_the_dsa_tutorial_runs_only_beside_clip_sets_by_default():
    assert selection.dsa_sets(cfg.validate(_minimal())) == []
    clips = _minimal()
    clips["stimsets"]["c"] = {"kind": "drifting_gratings", "size": 32}
    assert selection.dsa_sets(cfg.validate(clips)) == ["c", "tutorial"]
    forced = _minimal(analyses={"dsa": {"tutorial": {"enabled": True}}})
    assert selection.dsa_sets(cfg.validate(forced)) == ["tutorial"]


# -- stale locks -------------------------------------------------------------------------------

_HOLD = textwrap.dedent(
    """
    import sys, time
    from repgeom import runlock
    runlock.claim(sys.argv[1])
    print("held", flush=True)
    time.sleep(60)
    """
)


def test_stale_snakemake_locks_are_removed_only_when_no_run_is_alive(tmp_path):
    locks = tmp_path / ".snakemake" / "locks"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(tmp_path / ".snakemake")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        locks.mkdir(parents=True)  # the live run takes Snakemake's lock
        (locks / "0.input.lock").write_text("x")
        assert runlock.claim(tmp_path / ".snakemake") == []  # a live run: its lock stays
        assert (locks / "0.input.lock").exists()
    finally:
        holder.kill()  # SIGKILL: the kernel drops its flock
        holder.wait()
    try:
        assert runlock.claim(tmp_path / ".snakemake") == [locks / "0.input.lock"]
        assert not list(locks.iterdir())
    finally:
        runlock.release(tmp_path / ".snakemake")


def test_the_run_config_hash_comes_from_the_environment(monkeypatch):
    from repgeom import store

    monkeypatch.setenv(store.RUN_CONFIG_HASH, "run0123456789abc")
    attrs = store.provenance("neural", config={"a": 1})
    assert attrs["config_hash"] == "run0123456789abc"
    assert attrs["spec_hash"] == store.config_hash({"a": 1})
    monkeypatch.delenv(store.RUN_CONFIG_HASH)
    assert store.provenance("neural", config={"a": 1})["config_hash"] == store.config_hash({"a": 1})


def test_output_dir_is_relative_to_the_launch_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    try:
        assert cfg.launch_dir() == tmp_path
        assert cfg.output_dir({"output_dir": "runs/a"}) == tmp_path / "runs/a"
        elsewhere = tmp_path / "runs" / "a"
        elsewhere.mkdir(parents=True)
        monkeypatch.chdir(elsewhere)  # a cluster job starts inside output_dir: same answer
        assert cfg.launch_dir(main_process=False) == tmp_path
        assert cfg.output_dir({"output_dir": "runs/a"}) == tmp_path / "runs/a"
    finally:
        os.environ.pop(cfg.LAUNCH_DIR, None)


def test_run_dir_is_the_main_process_folder_in_every_job(tmp_path, monkeypatch):
    """Snakemake's --directory overrides the Snakefile's workdir (output_dir) in the main
    process only; a cluster job re-reads the Snakefile without it and must land in the same
    folder, not under output_dir."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv(cfg.RUN_DIR, raising=False)
    monkeypatch.delenv(cfg.LAUNCH_DIR, raising=False)
    config = {"output_dir": "runs/a"}
    assert cfg.run_dir(config) == tmp_path / "runs/a"  # no --directory: output_dir
    given = tmp_path / "elsewhere"
    given.mkdir()
    monkeypatch.chdir(given)  # Snakemake changes into --directory before the Snakefile runs
    assert cfg.run_dir(config, directory="elsewhere") == given  # as typed: relative
    # a job: no --directory of its own, the main process's folder from the environment
    assert cfg.run_dir(config, main_process=False) == given
    monkeypatch.delenv(cfg.RUN_DIR)
    monkeypatch.chdir(tmp_path)
    assert cfg.run_dir(config, main_process=False) == tmp_path / "runs/a"
