"""The CLI's `.npz` writer (issue 14 section 1) from NumPy's side: `convert ... --out x.npz` gives
the published `LowRankRNN` keys with the fixture's shapes and values, readable without pickle."""

import numpy as np

import lowrank_explorer as lx
from conftest import FIXTURE_PT, run_cli


def test_convert_to_npz_is_read_by_numpy(tmp_path):
    out = tmp_path / "x.npz"
    done = run_cli("convert", FIXTURE_PT, "--out", out)
    assert done.returncode == 0, done.stderr
    net = lx.load(FIXTURE_PT)
    with np.load(out, allow_pickle=False) as arrays:
        assert sorted(arrays.files) == sorted(["wi", "si", "m", "n", "wo", "so", "h0"])
        for key in arrays.files:
            want = getattr(net, key)
            assert arrays[key].shape == want.shape, key
            assert np.array_equal(arrays[key].astype(np.float64), want), key


def test_save_writes_the_format_its_extension_names_and_reads_back_the_same(tmp_path):
    net = lx.load(FIXTURE_PT)
    for ext in ["json", "pt", "npz", "safetensors"]:
        for precision in ["f32", "f64"]:
            out = tmp_path / f"net_{precision}.{ext}"
            lx.save(net, out, precision=precision)
            back = lx.load(out)
            # The fixture holds float32 values: either precision keeps them exactly.
            for key in ["wi", "si", "m", "n", "wo", "so", "h0"]:
                assert np.array_equal(getattr(back, key), getattr(net, key)), (ext, key)
    with np.load(tmp_path / "net_f32.npz", allow_pickle=False) as arrays:
        assert arrays["m"].dtype == np.float32
    with np.load(tmp_path / "net_f64.npz", allow_pickle=False) as arrays:
        assert arrays["m"].dtype == np.float64


def test_save_refuses_an_unknown_precision_or_extension(tmp_path):
    net = lx.load(FIXTURE_PT)
    try:
        lx.save(net, tmp_path / "x.pt", precision="f16")
    except ValueError as e:
        assert "f16" in str(e)
    else:
        raise AssertionError("f16 accepted")
    try:
        lx.save(net, tmp_path / "x.h5")
    except lx.Error as e:
        assert ".h5" in str(e) or "extension" in str(e), str(e)
    else:
        raise AssertionError(".h5 accepted")
    assert not (tmp_path / "x.h5").exists()
