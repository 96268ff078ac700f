"""Long calls release the GIL (other Python threads run meanwhile), and Ctrl-C stops training as it
stops the CLI's: the best network so far is kept, marked `interrupted`."""

import _thread
import signal
import threading
import time

import numpy as np

import lowrank_explorer as lx


def test_simulate_lets_other_threads_run():
    rng = np.random.default_rng(0)
    n = 2048
    net = lx.Network.from_arrays(
        rng.standard_normal((n, 2)), rng.standard_normal((n, 2)),
        rng.standard_normal((2, n)), rng.standard_normal((n, 1)),
    )
    inputs = rng.standard_normal((4, 1500, 2))
    span = {}

    def work():
        span["start"] = time.perf_counter()
        lx.simulate(net, inputs, states=False)
        span["end"] = time.perf_counter()

    worker = threading.Thread(target=work)
    ticks = []
    worker.start()
    while worker.is_alive():
        ticks.append(time.perf_counter())
    worker.join()
    start, end = span["start"], span["end"]
    assert end - start > 0.02, "too short a run to tell"
    middle = [t for t in ticks if start + 0.25 * (end - start) < t < end - 0.25 * (end - start)]
    # With the GIL held this thread could not run at all while the trials ran.
    assert len(middle) > 100, (len(middle), end - start)


def test_ctrl_c_keeps_the_best_network_so_far():
    # Without early stopping the papers' 190 epochs take about 3 s at N = 128 on 2 cores; Ctrl-C
    # after 0.5 s. A process started in the background inherits SIGINT ignored, and then
    # interrupt_main does nothing: Python's own handler is installed for the test.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    t0 = time.perf_counter()
    try:
        net = lx.train(task="dms", n=128, seed=1, eval_trials=50, config={"early_stop_loss": None})
    finally:
        elapsed = time.perf_counter() - t0
        timer.cancel()
        signal.signal(signal.SIGINT, previous)
    assert net.meta["interrupted"] is True
    assert elapsed < 2, elapsed
    assert net.neurons == 128
