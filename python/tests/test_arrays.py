"""Networks built from NumPy arrays: the published shapes in and out, exact values, and the same
dynamics bit for bit as the same network loaded from a file."""

import json

import numpy as np
import pytest

import lowrank_explorer as lx
from conftest import FIXTURE_PT, FIXTURES

KEYS = ["wi", "si", "m", "n", "wo", "so", "h0"]


@pytest.fixture(scope="module")
def net():
    return lx.load(FIXTURE_PT)


def arrays(net, dtype=np.float64):
    return {k: getattr(net, k).astype(dtype) for k in KEYS}


def test_properties_have_the_published_shapes(net):
    shapes = {k: getattr(net, k).shape for k in KEYS}
    assert shapes == {
        "wi": (2, 64), "si": (2,), "m": (64, 2), "n": (64, 2), "wo": (64, 1), "so": (1,), "h0": (64,)
    }
    assert (net.neurons, net.rank, net.inputs, net.outputs) == (64, 2, 2, 1)
    assert net.b is None and net.meta is None
    np.testing.assert_array_equal(net.si, np.float32([1.3, 0.7]).astype(np.float64))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_a_network_from_arrays_simulates_bit_for_bit_as_the_file(net, dtype):
    # The fixture's values are float32, so float32 arrays carry them exactly too.
    built = lx.Network.from_arrays(**arrays(net, dtype))
    _, inputs = lx.trials("dms")
    for noise in [0.0, 0.05]:
        a = lx.simulate(net, inputs, noise=noise, seed=11)
        b = lx.simulate(built, inputs, noise=noise, seed=11)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_defaults_are_those_of_the_published_class():
    rng = np.random.default_rng(0)
    m, n = rng.standard_normal((2, 30, 1))
    wi, wo = rng.standard_normal((1, 30)), rng.standard_normal((30, 1))
    built = lx.Network.from_arrays(m, n, wi, wo)
    assert np.array_equal(built.si, [1.0]) and np.array_equal(built.so, [1.0])
    assert np.array_equal(built.h0, np.zeros(30))
    explicit = lx.Network.from_arrays(m, n, wi, wo, si=[1.0], so=[1.0], h0=np.zeros(30))
    u = rng.standard_normal((3, 40, 1))
    assert np.array_equal(lx.simulate(built, u)[0], lx.simulate(explicit, u)[0])


def test_simulate_matches_the_published_forward_pass():
    """Against the PyTorch reference of the fixture (float64 forward pass stored as float32):
    within half a float32 ulp of every stored value, plus 1e-9."""
    ref = json.loads((FIXTURES / "lowrank_n64_r2_expected.json").read_text())
    net = lx.load(FIXTURE_PT)
    inputs = np.zeros((4, ref["steps"], 2))
    for k, (first, second) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        inputs[k, slice(*ref["stim1"]), first] = 1.0
        inputs[k, slice(*ref["stim2"]), second] = 1.0
    outputs, states = lx.simulate(net, inputs)
    for got, want in [
        (outputs[:, :, 0], ref["output"]),
        (states[:, 40], ref["h_step_40"]),
        (states[:, -1], ref["h_final"]),
    ]:
        want = np.array(want)
        half_ulp = np.spacing(np.abs(want).astype(np.float32)).astype(np.float64) / 2
        assert np.all(np.abs(got - want) <= 1e-9 + half_ulp)


def test_save_and_load_round_trip_exactly(net, tmp_path):
    built = lx.Network.from_arrays(**arrays(net), b=np.linspace(-1, 1, 64))
    path = tmp_path / "net.json"
    lx.save(built, path)
    back = lx.load(path)
    for key in KEYS + ["b"]:
        assert np.array_equal(getattr(back, key), getattr(built, key)), key
    model = lx.preset("dms_mixture_2pop")
    lx.save(model, tmp_path / "model.json")
    again = lx.load(tmp_path / "model.json")
    assert np.array_equal(again.covariances, model.covariances)
    assert np.array_equal(again.fractions, model.fractions)
    assert again.loading_names == model.loading_names


def test_svd_axes_keep_the_dynamics(net):
    _, inputs = lx.trials("dms", delay_ms=200)
    svd = net.svd()
    assert np.allclose(svd.m.T @ svd.m / 64, np.diag(np.diag(svd.m.T @ svd.m / 64)), atol=1e-9)
    np.testing.assert_allclose(lx.simulate(svd, inputs)[0], lx.simulate(net, inputs)[0], atol=1e-12)


def test_every_format_loads_the_same_network(net):
    for name in ["lowrank_n64_r2_legacy.pt", "lowrank_n64_r2.npz"]:
        other = lx.load(FIXTURES / name)
        for key in KEYS:
            assert np.array_equal(getattr(other, key), getattr(net, key)), (name, key)
    assert isinstance(lx.load(FIXTURES / "dms_mixture_2pop.json"), lx.PopulationModel)
