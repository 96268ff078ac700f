"""The papers' other layouts (MODEL.md 7) from Python, with files written by NumPy: an
`OptimizedLowRankRNN` (no 1/N) read with `scaling="none"` (and a `UserWarning` when read as 1/N),
a `FullRankRNN` (`wrec`) read with `truncate=R`, a `SupportLowRankRNN` read as its network or its
population model."""

import warnings

import numpy as np
import pytest

import lowrank_explorer as lx
from conftest import ROOT

EXAMPLE = ROOT / "assets" / "networks" / "dms_rank2_n512.json"
KEYS = ["wi", "si", "m", "n", "wo", "so", "h0"]


def test_an_optimized_file_reads_with_scaling_none_and_warns_when_read_as_1_over_n(tmp_path):
    net = lx.load(EXAMPLE)
    root_n = np.sqrt(net.neurons)
    arrays = {k: getattr(net, k) for k in KEYS}
    arrays["m"] = arrays["m"] / root_n
    arrays["n"] = arrays["n"] / root_n
    arrays["wo"] = arrays["wo"] / net.neurons
    path = tmp_path / "optimized.npz"
    np.savez(path, **arrays)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        back = lx.load(path, scaling="none")
    np.testing.assert_allclose(back.m, net.m, rtol=1e-12)
    np.testing.assert_allclose(back.wo, net.wo, rtol=1e-12)
    with pytest.warns(UserWarning, match="--scaling none"):
        lx.load(path)
    with pytest.raises(lx.Error, match="1/N or none"):
        lx.load(path, scaling="1/M")


def test_a_full_rank_file_needs_a_truncation_and_reports_what_it_keeps(tmp_path):
    net = lx.load(EXAMPLE)
    n = net.neurons
    wrec = net.m @ net.n.T / n
    path = tmp_path / "full.npz"
    np.savez(path, wi=net.wi, si=net.si, wrec=wrec, wo=net.wo / n, so=net.so, h0=net.h0)
    with pytest.raises(lx.Error, match="truncate=R"):
        lx.load(path)
    with pytest.warns(UserWarning, match="keeps 100.00 %"):
        two = lx.load(path, truncate=2)
    assert two.rank == 2
    np.testing.assert_allclose(two.m @ two.n.T / n, wrec, atol=1e-12)


def test_a_support_file_is_a_network_or_its_population_model(tmp_path):
    rng = np.random.default_rng(1)
    n, b = 200, 4
    supports = np.zeros((2, n))
    supports[0, :150] = 1
    supports[1, 150:] = 1
    path = tmp_path / "support.npz"
    np.savez(
        path,
        gaussian_basis=rng.standard_normal((b, n)),
        supports=supports,
        weights=np.array([0.75, 0.25]),
        m_weights=rng.standard_normal((1, 2, b)) / np.sqrt(n),
        n_weights=rng.standard_normal((1, 2, b)) / np.sqrt(n),
        wi_weights=rng.standard_normal((2, 2, b)),
        wo_weights=rng.standard_normal((1, 2, b)) / n,
    )
    net = lx.load(path)
    assert (net.neurons, net.rank) == (200, 1)
    model = lx.load(path, populations=True)
    assert isinstance(model, lx.PopulationModel)
