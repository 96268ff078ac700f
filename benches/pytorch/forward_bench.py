"""Times the PyTorch equivalent of `benches/simulate.rs` (MODEL.md 1) for a side-by-side comparison.

Our own re-implementation of a low-rank RNN forward pass in the style of the published `LowRankRNN`
(rank-R recurrence as (r @ n) @ m.T / N, noise outside alpha, output read after the update): the four
canonical DMS trials (255 steps) of an N = 4096, rank-2 network, as one batch of 4.

Usage: python forward_bench.py [--threads 2] [--dtype float32|float64] [--repeats 50]
"""
import argparse
import statistics
import time

import torch


def canonical_inputs(delay_steps=150):
    fix, stim, dec = 5, 25, 50
    steps = fix + 2 * stim + delay_steps + dec
    x = torch.zeros(4, steps, 2)
    for k, (a, b) in enumerate([(0, 0), (0, 1), (1, 0), (1, 1)]):
        x[k, fix:fix + stim, a] = 1.0
        x[k, fix + stim + delay_steps:fix + 2 * stim + delay_steps, b] = 1.0
    return x


def forward(inp, wi_full, m, n, wo_full, h0, alpha=0.2, noise_std=0.0):
    batch, steps, _ = inp.shape
    size = m.shape[0]
    h = h0.expand(batch, size).clone()
    r = torch.tanh(h)
    noise = torch.randn(batch, steps, size, dtype=h.dtype)
    out = torch.zeros(batch, steps, wo_full.shape[1], dtype=h.dtype)
    for t in range(steps):
        h = h + noise_std * noise[:, t] + alpha * (-h + r.matmul(n).matmul(m.t()) / size + inp[:, t].matmul(wi_full))
        r = torch.tanh(h)
        out[:, t] = r.matmul(wo_full) / size
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--repeats", type=int, default=50)
    ap.add_argument("--n", type=int, default=4096)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dtype = getattr(torch, args.dtype)
    g = torch.Generator().manual_seed(1)
    n = args.n
    wi = torch.randn(2, n, generator=g, dtype=dtype) * torch.tensor([[1.3], [0.7]], dtype=dtype)
    m = 2 * torch.randn(n, 2, generator=g, dtype=dtype)
    nn = 2 * torch.randn(n, 2, generator=g, dtype=dtype)
    wo = 2.2 * torch.randn(n, 1, generator=g, dtype=dtype)
    h0 = torch.zeros(n, dtype=dtype)
    inp = canonical_inputs().to(dtype)
    with torch.no_grad():
        for _ in range(3):
            forward(inp, wi, m, nn, wo, h0)
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            forward(inp, wi, m, nn, wo, h0)
            times.append(time.perf_counter() - t0)
    med = statistics.median(times)
    work = 4 * inp.shape[1] * n
    print(f"torch {torch.__version__} threads={args.threads} dtype={args.dtype}: median {med*1e3:.2f} ms "
          f"({work / med / 1e6:.1f} M neuron-steps/s) over {args.repeats} runs")


if __name__ == "__main__":
    main()
