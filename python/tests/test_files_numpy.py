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
