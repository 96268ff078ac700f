"""The module gives the CLI's numbers: every function against `lowrank-explorer ... --json` on the
same inputs (exact equality: both sides are the same f64s, the CLI's JSON written as shortest
round-trip decimals)."""

import json

import numpy as np
import pytest

import lowrank_explorer as lx
from conftest import FIXTURE_PT, FIXTURES, cli_json, run_cli


@pytest.fixture(scope="module")
def net():
    return lx.load(FIXTURE_PT)


def cli_outputs(report):
    """The outputs of `simulate --json` as a (B, T, 1) array."""
    return np.array([t["output"] for t in report["trials"]])[:, :, None]


@pytest.mark.parametrize("noise, seed", [(0.0, 0), (0.05, 3)])
def test_simulate_gives_the_cli_outputs_bit_for_bit(net, noise, seed):
    names, inputs = lx.trials("dms")
    outputs, states = lx.simulate(net, inputs, noise=noise, seed=seed)
    report = cli_json("simulate", FIXTURE_PT, "--task", "dms", "--noise", noise, "--seed", seed)
    assert names == [t["name"] for t in report["trials"]]
    assert outputs.shape == (4, 255, 1) and states.shape == (4, 256, 64)
    assert np.array_equal(outputs, cli_outputs(report))
    # The CLI prints the least-squares projection of each state on [m, I] (MODEL.md 2): the same
    # states projected here agree to rounding.
    basis = np.hstack([net.m, (net.wi * net.si[:, None]).T])
    coefficients = np.linalg.lstsq(basis, states.reshape(-1, 64).T, rcond=None)[0]
    kappa = coefficients[: net.rank].T.reshape(4, 256, net.rank)
    cli_kappa = np.array([t["kappa"] for t in report["trials"]])
    np.testing.assert_allclose(kappa, cli_kappa, rtol=0, atol=1e-9)


def test_simulate_without_states_gives_the_same_outputs(net):
    _, inputs = lx.trials("dms", delay_ms=500)
    with_states, _ = lx.simulate(net, inputs, noise=0.1, seed=9)
    outputs, states = lx.simulate(net, inputs, noise=0.1, seed=9, states=False)
    assert states is None
    assert np.array_equal(outputs, with_states)


def test_trials_are_the_cli_canonical_trials(net):
    for task, delay in [("dms", 1000.0), ("dms", None)]:
        _, inputs = lx.trials(task, delay_ms=delay)
        args = ["simulate", FIXTURE_PT, "--task", task]
        if delay is not None:
            args += ["--delay-ms", delay]
        outputs, _ = lx.simulate(net, inputs, states=False)
        assert np.array_equal(outputs, cli_outputs(cli_json(*args)))


def test_evaluate_is_the_cli_eval(net):
    got = lx.evaluate(net, "dms", trials=200, seed=4)
    assert got == cli_json("eval", FIXTURE_PT, "--task", "dms", "--trials", 200, "--seed", 4)
    got = lx.evaluate(net, trials=100, seed=1, noise=0.2, delay_max_ms=1000)
    want = cli_json(
        "eval", FIXTURE_PT, "--trials", 100, "--seed", 1, "--noise", 0.2, "--delay-max-ms", 1000
    )
    assert got == want


def cli_part(report):
    """What `analyze --json` prints of a report: the module adds nullclines, the rectangle and each
    cycle's closed curve."""
    printed = {k: v for k, v in report.items() if k not in ("nullclines", "rect")}
    if "limit_cycles" in report:
        cycles = [{k: v for k, v in c.items() if k != "points"} for c in report["limit_cycles"]]
        printed["limit_cycles"] = cycles
    return printed


@pytest.mark.parametrize(
    "source, kwargs, flags",
    [
        ("dms_mixture_2pop", {"input": "A"}, ["--input", "A"]),
        ("dms_mixture_2pop", {"input": [0.0, 1.0]}, ["--input", "0,1"]),
        ("dms_rank2_n512", {"dynamics": "map"}, ["--dynamics", "map"]),
        (
            "dms_mixture_rank3",
            {"axes": [1, 3], "through": "fp:1"},
            ["--axes", "1,3", "--through", "fp:1"],
        ),
        ("dms_mixture_rank3", {"through": [0, 0, 0.5]}, ["--through", "0,0,0.5"]),
        ("ctx_gating_rank1", {"input": "ctx1", "channel": "u1"}, ["--input", "ctx1", "--channel", "u1"]),
    ],
)
def test_analyze_of_a_preset_is_the_cli_report(source, kwargs, flags):
    got = lx.analyze(lx.preset(source), **kwargs)
    want = cli_json("analyze", "--preset", source, *flags)
    assert cli_part(got) == want
    assert list(got)[: len(want)] == list(want)


def test_analyze_of_a_file_is_the_cli_report(net):
    for raw, flags in [(False, []), (True, ["--raw-axes"])]:
        got = lx.analyze(net, input="B", raw_axes=raw, range=[-3, 3, -3, 3])
        want = cli_json("analyze", FIXTURE_PT, "--input", "B", "--range=-3,3,-3,3", *flags)
        assert cli_part(got) == want


def test_analyze_adds_nullclines_and_cycle_curves():
    got = lx.analyze(lx.preset("dms_mixture_2pop"), input="A")
    k1, k2 = got["nullclines"]
    assert k1 and k2
    for curve in k1 + k2:
        assert curve.ndim == 2 and curve.shape[1] == 2 and curve.dtype == np.float64
    (cycle,) = got["limit_cycles"]
    assert cycle["points"].shape[1] == 2
    # The closed curve lies in the box the CLI reports.
    assert np.all(cycle["points"].min(axis=0) >= np.array(cycle["kappa_min"]) - 1e-12)
    assert np.all(cycle["points"].max(axis=0) <= np.array(cycle["kappa_max"]) + 1e-12)
    x0, x1, y0, y1 = got["rect"]
    inside = lambda p: x0 <= p[0] <= x1 and y0 <= p[1] <= y1
    assert all(inside(p) for c in k1 + k2 for p in c)


def test_analyze_of_rank_3_gives_cycles_in_3_dimensions_and_the_slice_nullclines():
    got = lx.analyze(lx.preset("dms_mixture_rank3"), input="A", axes=[1, 2])
    (cycle,) = got["limit_cycles"]
    assert cycle["points"].shape[1] == 3
    # The drawn curve is sampled more coarsely than the extremes the report gives.
    assert np.all(cycle["points"].min(axis=0) >= np.array(cycle["kappa_min"]) - 1e-12)
    np.testing.assert_allclose(cycle["points"].min(axis=0), cycle["kappa_min"], atol=1e-5)
    k1, k2 = got["nullclines"]
    assert k1 and k2 and all(c.shape[1] == 2 for c in k1 + k2)


def test_continue_is_the_cli_report():
    model = lx.preset("dms_mixture_2pop")
    got = lx.continue_(model, "input.A", (0.0, 1.5))
    want = cli_json(
        "continue", "--preset", "dms_mixture_2pop", "--param", "input.A", "--from", 0, "--to", 1.5
    )
    assert got == want
    assert any(sp["kind"] == "hopf" for sp in got["special_points"]), got["special_points"]


def test_continue_with_cycles_is_the_cli_report():
    model = lx.preset("dms_mixture_2pop")
    got = lx.continue_(model, "input.A", (0.0, 1.5), cycles=True)
    want = cli_json(
        "continue", "--preset", "dms_mixture_2pop", "--param", "input.A", "--from", 0, "--to", 1.5,
        "--cycles",
    )
    assert got == want
    (branch,) = got["cycle_branches"]
    assert branch["points"], branch


def test_continue2_is_the_cli_report():
    model = lx.preset("dms_mixture_2pop")
    got = lx.continue2(model, "input.A", (0.0, 1.5), "p1.cov(n2,m1)", (-0.6, 3.3), regions=6)
    want = cli_json(
        "continue", "--preset", "dms_mixture_2pop", "--param", "input.A", "--from", 0, "--to", 1.5,
        "--param2", "p1.cov(n2,m1)", "--from2", -0.6, "--to2", 3.3, "--regions", 6,
    )
    assert got == want
    kinds = sorted(c["kind"] for c in got["codim2_points"])
    assert kinds == ["bogdanov_takens", "cusp"], kinds
    assert "limit cycle" in [g["name"] for g in got["regions"]["regions"]]


def test_continue2_in_the_maps_step_is_the_cli_report():
    model = lx.preset("dms_mixture_2pop")
    got = lx.continue2(model, "input.A", (0.0, 1.5), "alpha", dynamics="map")
    want = cli_json(
        "continue", "--preset", "dms_mixture_2pop", "--param", "input.A", "--from", 0, "--to", 1.5,
        "--param2", "alpha", "--dynamics", "map",
    )
    assert got == want
    folds = [c for c in got["curves"] if c["kind"] == "fold"]
    assert len(folds) == 2 and all(len({q["p"] for q in c["points"]}) == 1 for c in folds)


def test_fit_is_the_cli_fit(net, tmp_path):
    model, report = lx.fit(net, 2, seed=3, restarts=3)
    want = cli_json("fit", FIXTURE_PT, "--populations", 2, "--seed", 3, "--restarts", 3)
    assert report == want
    assert np.array_equal(model.covariances, np.array([p["cov"] for p in want["populations"]]))
    auto, report = lx.fit(net, "auto", max_populations=2, loadings="all", restarts=2)
    want = cli_json(
        "fit", FIXTURE_PT, "--populations", "auto", "--max-populations", 2,
        "--loadings", "all", "--restarts", 2,
    )
    assert report == want


def assert_same_network(a, b):
    for key in ["wi", "si", "m", "n", "wo", "so", "h0"]:
        assert np.array_equal(getattr(a, key), getattr(b, key)), key


def test_resample_is_the_cli_resample(tmp_path):
    source = FIXTURES / "dms_mixture_2pop.json"
    out = tmp_path / "drawn.json"
    done = run_cli("resample", source, "--n", 300, "--seed", 5, "--out", out)
    assert done.returncode == 0, done.stderr
    drawn = lx.resample(lx.load(source), 300, seed=5)
    assert_same_network(drawn, lx.load(out))


def test_train_is_the_cli_train(tmp_path):
    config = {"trials_per_stage": 60, "validation_trials": 20}
    args = dict(task="decision", n=24, seed=7, epochs_per_stage=1, batch_size=20, eval_trials=30)
    trained = lx.train(config=config, **args)
    out = tmp_path / "trained.json"
    done = run_cli(
        "train", "--task", "decision", "--n", 24, "--seed", 7, "--epochs-per-stage", 1,
        "--batch-size", 20, "--eval-trials", 30, "--config", json.dumps(config), "--out", out,
    )
    assert done.returncode == 0, done.stderr
    assert_same_network(trained, lx.load(out))
    cli_meta = lx.load(out).meta
    for key in ["task", "seed", "interrupted", "final_evaluation", "config"]:
        assert trained.meta[key] == cli_meta[key], key
    assert [s["validation"] for s in trained.meta["stages"]] == [
        s["validation"] for s in cli_meta["stages"]
    ]
