"""Errors are `lowrank_explorer.Error` with the message the CLI prints after `error: `."""

import os
import stat

import numpy as np
import pytest

import lowrank_explorer as lx
from conftest import FIXTURE_PT, FIXTURES, cli_error


def message(call, *args, **kwargs) -> str:
    with pytest.raises(lx.Error) as caught:
        call(*args, **kwargs)
    return str(caught.value)


@pytest.mark.parametrize(
    "name", ["malformed/int64_m.pt", "malformed/float16_m.pt", "malformed/int_m.npz", "missing.pt"]
)
def test_load_says_what_the_cli_says(name):
    path = FIXTURES / name
    assert message(lx.load, path) == cli_error("info", path)


def test_not_a_network_file(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    assert message(lx.load, path) == cli_error("info", path)


def test_simulate_and_evaluate_checks_are_the_cli_checks():
    net = lx.load(FIXTURE_PT)
    _, inputs = lx.trials("dms", delay_ms=100)
    assert message(lx.simulate, net, inputs, noise=-1.0) == cli_error(
        "simulate", FIXTURE_PT, "--noise=-1"
    )
    assert message(lx.trials, "dms", delay_ms=-5.0) == cli_error(
        "simulate", FIXTURE_PT, "--delay-ms=-5"
    )
    assert message(lx.evaluate, net, trials=0) == cli_error("eval", FIXTURE_PT, "--trials", 0)
    assert message(lx.evaluate, net, "decision") == cli_error(
        "eval", FIXTURE_PT, "--task", "decision"
    )
    assert "input channel" in message(lx.simulate, net, np.zeros((1, 10, 3)))


def test_analysis_checks_are_the_cli_checks():
    model = lx.preset("dms_mixture_2pop")
    got = message(lx.analyze, model, input="C")
    assert got.endswith(cli_error("analyze", "--preset", "dms_mixture_2pop", "--input", "C"))
    got = message(lx.analyze, model, dynamics="ode", alpha=0.5)
    assert got == cli_error("analyze", "--preset", "dms_mixture_2pop", "--alpha", 0.5)
    got = message(lx.continue_, model, "input.A", (1.0, 1.0))
    assert got == cli_error(
        "continue", "--preset", "dms_mixture_2pop", "--param", "input.A", "--from", 1, "--to", 1
    )
    assert "dynamics must be one of ode, map" in message(lx.analyze, model, dynamics="flow")
    assert message(lx.preset, "nope") == cli_error("analyze", "--preset", "nope")


def test_bad_arrays_name_the_parameter():
    m = np.ones((10, 2))
    got = message(lx.Network.from_arrays, m, np.ones((9, 2)), np.ones((1, 10)), np.ones((10, 1)))
    assert got == "parameter `n` has shape [9, 2], expected (10, 2) like m"
    got = message(
        lx.Network.from_arrays, m, m, np.ones((1, 10)), np.full((10, 1), np.nan)
    )
    assert got.startswith("parameter `wo` has a non-finite value")


def test_train_and_fit_checks_are_the_cli_checks(tmp_path):
    net = lx.load(FIXTURE_PT)
    out = tmp_path / "x.json"
    assert message(lx.train, eval_trials=0) == cli_error(
        "train", "--eval-trials", 0, "--out", out
    )
    assert message(lx.train, config={"neurons": 0}) == cli_error(
        "train", "--config", '{"neurons": 0}', "--out", out
    )
    assert message(lx.fit, net, 0).endswith(
        cli_error("fit", FIXTURE_PT, "--populations", 0).split(": ", 1)[-1]
    )
    assert message(lx.resample, lx.preset("dms_mixture_2pop"), 0) == cli_error(
        "resample", FIXTURES / "dms_mixture_2pop.json", "--n", 0, "--out", out
    )


def test_gui_without_the_app_says_how_to_get_it(monkeypatch):
    monkeypatch.delenv("LOWRANK_EXPLORER_BIN", raising=False)
    monkeypatch.setenv("PATH", "")
    assert "not found" in message(lx.gui, lx.preset("dms_mixture_2pop"))
    monkeypatch.setenv("LOWRANK_EXPLORER_BIN", "/no/such/app")
    assert "not a file" in message(lx.gui, lx.preset("dms_mixture_2pop"))


def test_gui_starts_the_app_on_the_object(tmp_path, monkeypatch):
    log = tmp_path / "args"
    app = tmp_path / "fake-app"
    app.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {log}\n')
    app.chmod(app.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("LOWRANK_EXPLORER_BIN", str(app))
    net = lx.load(FIXTURE_PT)
    pid = lx.gui(net)
    assert pid > 0
    os.waitpid(pid, 0)
    command, path = log.read_text().split()
    assert command == "gui"
    assert np.array_equal(lx.load(path).m, net.m)
