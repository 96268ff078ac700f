"""Known results: the phase plane of the published DMS mixture (tests/fixtures/README.md): with no
input two stable memory fixed points, two saddles and an unstable origin; with input A an unstable
focus inside a stable limit cycle; with input B a single stable focus."""

import numpy as np

import lowrank_explorer as lx
from conftest import FIXTURES


def kinds(report):
    return sorted(fp["type"] for fp in report["fixed_points"])


def test_dms_mixture_has_the_poster_mechanism():
    model = lx.load(FIXTURES / "dms_mixture_2pop.json")
    none = lx.analyze(model)
    assert kinds(none) == ["saddle", "saddle", "stable node", "stable node", "unstable node"]
    origin = [fp for fp in none["fixed_points"] if fp["type"] == "unstable node"][0]
    assert np.allclose(origin["kappa"], 0.0, atol=1e-9)
    memories = [fp["kappa"] for fp in none["fixed_points"] if fp["type"] == "stable node"]
    # The two memories are images of each other under kappa -> -kappa (the model is symmetric).
    assert np.allclose(memories[0], -np.array(memories[1]), atol=1e-6)

    a = lx.analyze(model, input="A")
    assert kinds(a) == ["unstable focus"]
    (cycle,) = a["limit_cycles"]
    assert cycle["stable"] and cycle["period_tau"] > 0

    b = lx.analyze(model, input="B")
    assert kinds(b) == ["stable focus"] and not b["limit_cycles"]
    (focus,) = b["fixed_points"]
    assert all(re < 0 for re, im in focus["eigenvalues"]) and focus["eigenvalues"][0][1] != 0


def test_the_fixed_points_are_zeros_of_the_nullclines():
    report = lx.analyze(lx.preset("dms_mixture_2pop"))
    k1, k2 = report["nullclines"]
    for fp in report["fixed_points"]:
        for curves in (k1, k2):
            distance = min(np.min(np.linalg.norm(c - fp["kappa"], axis=1)) for c in curves)
            assert distance < 0.05, (fp, distance)
