"""Times `lowrank_explorer.simulate` of the four canonical DMS trials (255 steps) of a rank-2 network
of N = 4096 from Python: the work of `benches/simulate.rs` (issue 14, section 3), so that the two
medians say what calling from Python costs. If torch is importable, also times the same forward pass
in PyTorch on the same threads (`benches/pytorch/forward_bench.py`'s `forward`).

    python benches/python/bench_simulate.py [--repeats 100] [--threads 2]

If `cargo bench --no-default-features --bench simulate` has run, its criterion median
(target/criterion/...) is read and the overhead printed. Not part of the build or the tests.

Measured on the 2-core development machine (shared, so medians move by 50 % with its load; pair
each run with a criterion run just before): outputs only 9.4 to 11.5 ms against criterion's 10.7
to 11.6 ms, i.e. -13 % to +0.4 %, no overhead beyond the noise; with the trajectories returned,
33 to 43 ms (4 x 256 x 4096 states written and handed to NumPy).
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
CRITERION = ROOT / "target/criterion/simulate/dms_canonical_n4096_r2_255steps/new/estimates.json"


def network(lx, n, rng):
    """A random DMS-shaped rank-2 network with the gains of `benches/common`'s."""
    return lx.Network.from_arrays(
        m=2 * rng.standard_normal((n, 2)),
        n=2 * rng.standard_normal((n, 2)),
        wi=rng.standard_normal((2, n)),
        wo=rng.standard_normal((n, 1)),
        si=[1.3, 0.7],
        so=[2.2],
    )


def median_ms(run, repeats):
    for _ in range(3):
        run()
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e3


def criterion_ms():
    """The median of `cargo bench --bench simulate`, if it has run on this machine."""
    if not CRITERION.is_file():
        return None
    return json.loads(CRITERION.read_text())["median"]["point_estimate"] / 1e6


def torch_ms(net, inputs, threads, repeats):
    """The same forward pass in PyTorch (float64 and float32), or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    sys.path.insert(0, str(ROOT / "benches" / "pytorch"))
    from forward_bench import forward

    torch.set_num_threads(threads)
    out = {}
    for dtype in (torch.float64, torch.float32):
        t = lambda a: torch.tensor(a, dtype=dtype)
        wi_full = t(net.wi * net.si[:, None])
        wo_full = t(net.wo * net.so[None, :])
        args = (t(inputs), wi_full, t(net.m), t(net.n), wo_full, t(net.h0))
        with torch.no_grad():
            out[str(dtype)] = median_ms(lambda: forward(*args), repeats)
    return torch.__version__, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=100)
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--n", type=int, default=4096)
    args = ap.parse_args()
    import lowrank_explorer as lx

    net = network(lx, args.n, np.random.default_rng(1))
    names, inputs = lx.trials("dms")
    assert inputs.shape == (4, 255, 2), inputs.shape
    ours = median_ms(lambda: lx.simulate(net, inputs, states=False), args.repeats)
    with_states = median_ms(lambda: lx.simulate(net, inputs), args.repeats)
    work = 4 * 255 * args.n
    print(f"lowrank_explorer.simulate, 4 DMS trials x 255 steps, N = {args.n}, rank 2:")
    print(f"  outputs only      median {ours:.3f} ms ({work / ours / 1e3:.1f} M neuron-steps/s)")
    print(f"  with trajectories median {with_states:.3f} ms (states (4, 256, {args.n}) returned)")
    reference = criterion_ms()
    if reference is None:
        print("  (no criterion figure: run `cargo bench --no-default-features --bench simulate`)")
    else:
        print(f"  criterion (Rust)  median {reference:.3f} ms: overhead {100 * (ours / reference - 1):+.1f} %")
    timed = torch_ms(net, inputs, args.threads, max(10, args.repeats // 5))
    if timed is None:
        print("PyTorch: torch is not importable here, so there is no PyTorch figure")
    else:
        version, by_dtype = timed
        for dtype, ms in by_dtype.items():
            print(f"PyTorch {version}, {args.threads} threads, {dtype}: median {ms:.3f} ms")


if __name__ == "__main__":
    main()
