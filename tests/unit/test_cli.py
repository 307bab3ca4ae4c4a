import numpy as np
import pytest

from repgeom import store
from repgeom.cli import main
from repgeom.stimuli import gratings


def test_layers_lists_aliases_and_modules(capsys):
    assert main(["layers", "resnet18"]) == 0
    out = capsys.readouterr().out
    assert "block1 -> layer1" in out and "layer4.1.conv2" in out and "--all" in out


def test_models_lists_torchvision(capsys):
    assert main(["models"]) == 0
    assert "resnet50" in capsys.readouterr().out.split()


def test_inspect_shows_dims_coords_and_provenance(tmp_path, capsys):
    ds = gratings(size=8, orientations=2, spatial_frequencies=(2.0,), phases=1)
    ds.attrs.update(store.provenance("stimuli", config={"x": 1}, seed=4))
    path = store.write(ds, tmp_path / "g.nc", "stimuli")
    assert main(["inspect", str(path)]) == 0
    out = capsys.readouterr().out
    assert "stimulus=2" in out and "stimulus_id" in out and "seed: 4" in out
    assert f"config_hash: {store.config_hash({'x': 1})}" in out


def test_errors_exit_2_with_a_message(tmp_path, capsys):
    assert main(["inspect", str(tmp_path / "nope.nc")]) == 2
    assert "no such store" in capsys.readouterr().err
    assert main(["layers", "resnet181"]) == 2
    assert "did you mean" in capsys.readouterr().err
    bad = tmp_path / "c.yaml"
    bad.write_text("stimsets: {a: {kind: foto}}\nmodels: {}\n")
    assert main(["check-config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "stimsets.a.kind: 'foto' is not one of" in err
    assert main(["inspect", str(tmp_path / "missing.png")]) == 2
    assert "not a readable PNG figure" in capsys.readouterr().err
    (tmp_path / "text.png").write_text("not an image")
    assert main(["inspect", str(tmp_path / "text.png")]) == 2
    assert "not a readable PNG figure" in capsys.readouterr().err


def test_help_reads_well(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("layers", "inspect", "extract", "check-config"):
        assert command in out


def test_stage_commands_write_stores(tmp_path):
    spec = '{"kind": "gratings", "size": 8, "orientations": 2, "phases": 1}'
    out = tmp_path / "s.nc"
    assert main(["stimuli", "--name", "g", "--spec", spec, "--out", str(out)]) == 0
    assert store.read(out, "stimuli")["images"].shape[0] == 6
    nout = tmp_path / "n.nc"
    nspec = '{"kind": "simulated_v1", "stimset": "g", "n_neuroids": 3, "n_repetitions": 2}'
    assert (
        main(["neural", "--name", "v1", "--spec", nspec, "--stimuli", str(out), "--out", str(nout)])
        == 0
    )
    assert np.isfinite(store.read(nout, "neural")["rates"].values).all()
