"""Timing reference for `benches/train.rs`: the same BPTT training step written in PyTorch.

Our own minimal equivalent of a low-rank RNN trained on delayed match-to-sample (MODEL.md 1 and 6):
h_{t+1} = h_t + sigma xi_t + alpha (-h_t + m (n^T tanh h_t) / N + u_t (wi * si)),
z_t = tanh(h_{t+1}) (wo * so) / N, masked MSE, Adam, clip_grad_norm_, float32 on the CPU.
It times epochs of 800 trials (forward + backward + Adam per batch) and prints medians; with
`--recipe` it also times the three shaping stages (20 epochs at most each, early stop at loss 0.05).

    /work/venv/bin/python benches/pytorch/train_dms.py --threads 1 --recipe
"""

import argparse
import statistics
import time

import numpy as np
import torch

ALPHA, NOISE, DT = 0.2, 0.05, 20


def dms_trials(count, delay_max_ms, rng):
    """Inputs (count, T, 2), targets (count, T, 1), masks (count, T, 1), padded to the longest delay."""
    fix, stim, dec = 100 // DT, 500 // DT, 1000 // DT
    dmin, dmax = 500 // DT, delay_max_ms // DT
    steps = fix + 2 * stim + dmax + dec
    x = 0.03 * rng.standard_normal((count, steps, 2))
    y = np.zeros((count, steps, 1))
    mask = np.zeros((count, steps, 1))
    for k in range(count):
        a, b = rng.integers(0, 2, size=2)
        delay = int(rng.integers(dmin, dmax))
        x[k, fix:fix + stim, a] += 1
        s2 = fix + stim + delay
        x[k, s2:s2 + stim, b] += 1
        y[k, s2 + stim:s2 + stim + dec, 0] = 1.0 if a == b else -1.0
        mask[k, s2 + stim:s2 + stim + dec, 0] = 1.0
    as_t = lambda v: torch.tensor(v, dtype=torch.float32)
    return as_t(x), as_t(y), as_t(mask)


class LowRank(torch.nn.Module):
    def __init__(self, n, rank):
        super().__init__()
        self.n_neurons = n
        self.wi = torch.nn.Parameter(torch.randn(2, n), requires_grad=False)
        self.si = torch.nn.Parameter(torch.ones(2))
        self.m = torch.nn.Parameter(torch.randn(n, rank))
        self.nv = torch.nn.Parameter(2.0 * self.m.detach() + torch.randn(n, rank))
        self.wo = torch.nn.Parameter(torch.randn(n, 1), requires_grad=False)
        self.so = torch.nn.Parameter(torch.ones(1))
        self.h0 = torch.nn.Parameter(torch.zeros(n), requires_grad=False)

    def forward(self, u):
        batch, steps, _ = u.shape
        inputs = self.wi * self.si[:, None]
        readout = self.wo * self.so
        h = self.h0.expand(batch, -1)
        r = torch.tanh(h)
        noise = torch.randn(batch, steps, self.n_neurons)
        outs = []
        for t in range(steps):
            rec = (r @ self.nv) @ self.m.t() / self.n_neurons
            h = h + NOISE * noise[:, t] + ALPHA * (-h + rec + u[:, t] @ inputs)
            r = torch.tanh(h)
            outs.append(r @ readout / self.n_neurons)
        return torch.stack(outs, dim=1)


def masked_mse(z, y, mask):
    per_trial = ((mask * (y - z)) ** 2).sum(dim=(1, 2)) / mask.sum(dim=(1, 2))
    return per_trial.mean()


def epoch(net, opt, x, y, mask, batch, clip):
    """One pass in a random order; returns the mean training loss."""
    order = torch.randperm(x.shape[0])
    total = 0.0
    for i in range(0, x.shape[0], batch):
        idx = order[i:i + batch]
        opt.zero_grad()
        loss = masked_mse(net(x[idx]), y[idx], mask[idx])
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in net.parameters() if p.requires_grad], clip)
        opt.step()
        total += loss.item() * len(idx)
    return total / x.shape[0]


def recipe(rng):
    """The three shaping stages (20 epochs at most, keep-best, early stop at 0.05): wall time and
    validation accuracy of the kept network (on 200 trials of the last stage)."""
    net = LowRank(512, 2)
    start = time.perf_counter()
    for delay, lr, clip in [(700, 1e-2, 0.01), (1000, 1e-3, 1.0), (4000, 1e-4, 1.0)]:
        x, y, mask = dms_trials(1000, delay, rng)
        opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=lr)
        best, best_state, epochs = float("inf"), None, 0
        for _ in range(20):
            loss = epoch(net, opt, x[:800], y[:800], mask[:800], 32, clip)
            epochs += 1
            if loss < best:
                best, best_state = loss, {k: v.clone() for k, v in net.state_dict().items()}
            if loss < 0.05:
                break
        net.load_state_dict(best_state)
        print(f"  stage {delay} ms: {epochs} epochs, best loss {best:.4f}")
    with torch.no_grad():
        z = net(x[800:])
        decision = (z * mask[800:]).sum(dim=(1, 2))
        target = (y[800:] * mask[800:]).sum(dim=(1, 2))
        accuracy = (torch.sign(decision) == torch.sign(target)).float().mean().item()
    return time.perf_counter() - start, accuracy


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--recipe", action="store_true", help="also time the whole shaping recipe")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    for name, delay, batch, lr, clip in [
        ("epoch_700ms_batch32", 700, 32, 1e-2, 0.01),
        ("epoch_4000ms_batch128", 4000, 128, 1e-4, 1.0),
        ("epoch_4000ms_batch32", 4000, 32, 1e-4, 1.0),
    ]:
        x, y, mask = dms_trials(800, delay, rng)
        net = LowRank(512, 2)
        opt = torch.optim.Adam([p for p in net.parameters() if p.requires_grad], lr=lr)
        times = []
        for _ in range(args.repeats):
            start = time.perf_counter()
            epoch(net, opt, x, y, mask, batch, clip)
            times.append(time.perf_counter() - start)
        print(f"{name}: median {statistics.median(times):.3f} s over {args.repeats} epochs "
              f"({x.shape[1]} steps, {args.threads} threads, torch {torch.__version__})")
    if args.recipe:
        seconds, accuracy = recipe(rng)
        print(f"recipe: {seconds:.1f} s, validation accuracy {accuracy:.3f} ({args.threads} threads)")


if __name__ == "__main__":
    main()
