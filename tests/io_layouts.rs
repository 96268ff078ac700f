//! The other layouts of the papers' code (MODEL.md 7): `OptimizedLowRankRNN` (no `1/N`, the
//! `--scaling` choice and its warning), `FullRankRNN` (`wrec`, exact runs and the truncation) and
//! `SupportLowRankRNN` (as a network and as a population model), with files written here by our
//! own writer, and every malformed variant of the new keys.

#[path = "io_support/mod.rs"]
mod io_support;

use std::path::{Path, PathBuf};

use io_support::{Scratch, fixture};
use lowrank_explorer::cli::run_args;
use lowrank_explorer::io::{
    self, Dtype, ModelFile, ReadOptions, Scaling, Tensor, TensorMap, save_tensors,
};
use lowrank_explorer::network::{Network, SimOptions};
use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

fn scratch(test: &str) -> Scratch {
    io_support::scratch("layouts", test)
}

fn tensor(shape: &[usize], data: Vec<f64>) -> Tensor {
    assert_eq!(shape.iter().product::<usize>(), data.len());
    Tensor {
        shape: shape.to_vec(),
        data,
        dtype: Dtype::F64,
    }
}

/// A row-major tensor of a matrix.
fn of_matrix(m: &DMatrix<f64>) -> Tensor {
    tensor(&[m.nrows(), m.ncols()], m.transpose().as_slice().to_vec())
}

fn of_vector(v: &DVector<f64>) -> Tensor {
    tensor(&[v.len()], v.as_slice().to_vec())
}

fn map_of(entries: Vec<(&str, Tensor)>) -> TensorMap {
    let mut map = TensorMap::new();
    for (k, t) in entries {
        map.insert(k.to_owned(), t);
    }
    map
}

fn write(dir: &Path, name: &str, map: &TensorMap) -> PathBuf {
    let path = dir.join(name);
    save_tensors(map, &path).unwrap();
    path
}

fn open(path: &Path, opts: ReadOptions) -> Result<io::Opened, String> {
    io::open_model(path, &opts).map_err(|e| e.to_string())
}

fn network_of(opened: io::Opened) -> Network {
    match opened.model {
        ModelFile::Network(f) => f.network,
        other => panic!("expected a network, got {other:?}"),
    }
}

fn noise(rng: &mut StdRng) -> f64 {
    StandardNormal.sample(rng)
}

fn example_network() -> Network {
    io::load_network(Path::new(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/assets/networks/dms_rank2_n512.json"
    )))
    .unwrap()
}

/// Four DMS-like trials' inputs of 60 steps on two channels.
fn trial_inputs() -> Vec<Vec<f64>> {
    [(1.0, 0.0), (0.0, 1.0), (1.0, 1.0), (0.3, -0.5)]
        .iter()
        .map(|&(a, b)| {
            (0..60)
                .flat_map(|t| {
                    if (5..30).contains(&t) {
                        [a, b]
                    } else {
                        [0.0, 0.0]
                    }
                })
                .collect()
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// OptimizedLowRankRNN: the same keys, no 1/N.

/// The state dict an `OptimizedLowRankRNN` holds for the same dynamics as `net`: `m / sqrt(N)`,
/// `n / sqrt(N)`, `wo / N` (MODEL.md 7).
fn optimized_tensors(net: &Network) -> TensorMap {
    let p = net.parts();
    let root_n = (net.dims().neurons as f64).sqrt();
    map_of(vec![
        ("wi", of_matrix(&p.wi)),
        ("si", of_vector(&p.si)),
        ("m", of_matrix(&(&p.m / root_n))),
        ("n", of_matrix(&(&p.n / root_n))),
        ("wo", of_matrix(&(&p.wo / (root_n * root_n)))),
        ("so", of_vector(&p.so)),
        ("h0", of_vector(&p.h0)),
    ])
}

/// The forward pass of an `OptimizedLowRankRNN`, written from its definition: no `1/N` in the
/// recurrence `m n^T tanh(h)` or in the readout `tanh(h) . wo`.
fn optimized_reference(map: &TensorMap, u: &[f64]) -> Vec<f64> {
    let get = |k: &str| map.iter().find(|(key, _)| *key == k).unwrap().1;
    let mat = |k: &str| {
        let t = get(k);
        DMatrix::from_row_slice(t.shape[0], t.shape[1], &t.data)
    };
    let (wi, m, n, wo) = (mat("wi"), mat("m"), mat("n"), mat("wo"));
    let (si, so) = (&get("si").data, &get("so").data);
    let mut h = DVector::from_column_slice(&get("h0").data);
    let mut out = vec![];
    for ut in u.chunks(2) {
        let r = h.map(f64::tanh);
        let input = DVector::from_fn(h.len(), |i, _| {
            (0..2).map(|s| ut[s] * wi[(s, i)] * si[s]).sum::<f64>()
        });
        h = &h + 0.2 * (-&h + &m * (n.transpose() * &r) + input);
        out.push(h.map(f64::tanh).dot(&wo.column(0)) * so[0]);
    }
    out
}

#[test]
fn optimized_file_read_with_scaling_none_runs_as_its_own_forward_pass() {
    let dir = scratch("optimized");
    let net = example_network();
    let map = optimized_tensors(&net);
    let path = write(&dir, "optimized.pt", &map);
    let opts = ReadOptions {
        scaling: Some(Scaling::None),
        ..ReadOptions::default()
    };
    let opened = open(&path, opts).unwrap();
    assert!(opened.notes.is_empty(), "{:?}", opened.notes);
    let read = network_of(opened);
    for (u, run) in trial_inputs()
        .iter()
        .zip(read.simulate_batch(&trial_inputs(), &SimOptions::default()))
    {
        let truth = optimized_reference(&map, u);
        for (a, b) in run.outputs.iter().zip(&truth) {
            assert!((a - b).abs() < 1e-12, "{a} vs {b}");
        }
        // The trained network answers with outputs of order 1.
        assert!(truth.iter().any(|z| z.abs() > 0.3));
    }
}

#[test]
fn a_convention_contradicted_by_the_statistics_is_a_warning_both_ways() {
    let dir = scratch("warning");
    let net = example_network();
    // An OptimizedLowRankRNN read with the default 1/N: outputs collapse, and a warning says so.
    let path = write(&dir, "optimized.npz", &optimized_tensors(&net));
    let opened = open(&path, ReadOptions::default()).unwrap();
    let warning = opened.notes.join("\n");
    assert!(warning.contains("--scaling none"), "{warning}");
    let wrong = network_of(opened);
    let run = &wrong.simulate_batch(&trial_inputs()[..1], &SimOptions::default())[0];
    assert!(run.outputs.iter().all(|z| z.abs() < 0.05));
    // A LowRankRNN read with none.
    let path = write(
        &dir,
        "lowrank.npz",
        &io::network_to_tensors(&net, Dtype::F64),
    );
    let opts = ReadOptions {
        scaling: Some(Scaling::None),
        ..ReadOptions::default()
    };
    let warning = open(&path, opts).unwrap().notes.join("\n");
    assert!(warning.contains("--scaling 1/N"), "{warning}");
    // Read right, no warning.
    assert!(
        open(&path, ReadOptions::default())
            .unwrap()
            .notes
            .is_empty()
    );
    // The papers' fixture (N = 64) is a LowRankRNN: no warning either.
    assert!(
        open(&fixture("lowrank_n64_r2.pt"), ReadOptions::default())
            .unwrap()
            .notes
            .is_empty()
    );
}

#[test]
fn the_cli_reads_with_scaling_and_warns() {
    let dir = scratch("cli_scaling");
    let net = example_network();
    let path = write(&dir, "optimized.safetensors", &optimized_tensors(&net));
    let file = path.to_str().unwrap();
    let right = run_args([
        "lowrank-explorer",
        "eval",
        file,
        "--scaling",
        "none",
        "--trials",
        "64",
    ])
    .unwrap();
    let accuracy: f64 = right.split_whitespace().nth(1).unwrap().parse().unwrap();
    assert!(accuracy > 0.9, "{right}");
    let err = run_args(["lowrank-explorer", "eval", file, "--scaling", "1/m"]).unwrap_err();
    assert!(err.0.contains("1/N or none"), "{}", err.0);
}

#[test]
fn a_json_network_says_its_scaling_in_a_field() {
    let dir = scratch("json_scaling");
    let net = example_network();
    let optimized = Network::new(lowrank_explorer::network::NetworkParts {
        m: net.m() / (512f64).sqrt(),
        n: net.n() / (512f64).sqrt(),
        wo: &net.parts().wo / 512.0,
        ..net.parts().clone()
    })
    .unwrap();
    let mut json: serde_json::Value =
        serde_json::from_slice(&io::network_json::to_json(&optimized, None).unwrap()).unwrap();
    json["scaling"] = "none".into();
    let path = dir.join("optimized.json");
    std::fs::write(&path, json.to_string()).unwrap();
    let opened = open(&path, ReadOptions::default()).unwrap();
    assert!(opened.notes.is_empty());
    let read = network_of(opened);
    assert!((read.m() - net.m()).amax() < 1e-12);
    assert!((read.readout_vectors() - net.readout_vectors()).amax() < 1e-9);
    // The reader told otherwise, or a value that is no convention: errors naming the field.
    let told = ReadOptions {
        scaling: Some(Scaling::OverN),
        ..ReadOptions::default()
    };
    let err = open(&path, told).unwrap_err();
    assert!(err.contains("`scaling`") && err.contains("none"), "{err}");
    json["scaling"] = "1/m".into();
    std::fs::write(&path, json.to_string()).unwrap();
    let err = open(&path, ReadOptions::default()).unwrap_err();
    assert!(err.contains("`scaling`") && err.contains("1/m"), "{err}");
}

// ---------------------------------------------------------------------------------------------
// FullRankRNN.

/// A full-rank network whose `wrec` is a planted rank-2 part (the example network's `m n^T / N`)
/// plus a small random bulk.
fn full_rank_tensors(bulk: f64, seed: u64) -> (TensorMap, DMatrix<f64>) {
    let net = example_network();
    let nn = net.dims().neurons;
    let mut rng = StdRng::seed_from_u64(seed);
    let planted = net.m() * net.n().transpose() / nn as f64;
    let wrec = &planted + DMatrix::from_fn(nn, nn, |_, _| bulk * noise(&mut rng) / nn as f64);
    let p = net.parts();
    let map = map_of(vec![
        ("wi", of_matrix(&p.wi)),
        ("si", of_vector(&p.si)),
        ("wrec", of_matrix(&wrec)),
        ("wo", of_matrix(&(&p.wo / nn as f64))),
        ("so", of_vector(&p.so)),
        ("h0", of_vector(&p.h0)),
    ]);
    (map, wrec)
}

#[test]
fn a_full_rank_file_loads_runs_and_truncates() {
    let dir = scratch("full_rank");
    let (map, wrec) = full_rank_tensors(0.5, 1);
    let path = write(&dir, "full.pt", &map);
    let ModelFile::FullRank(full) = open(&path, ReadOptions::default()).unwrap().model else {
        panic!("expected a full-rank network");
    };
    assert_eq!(full.wrec(), &wrec);
    // The truncation keeps the planted part: its share of |wrec|^2 is that of the two largest
    // singular values, checked against nalgebra's SVD of the matrix itself.
    let opts = ReadOptions {
        truncate: Some(2),
        ..ReadOptions::default()
    };
    let opened = open(&path, opts).unwrap();
    let mut s: Vec<f64> = wrec.singular_values().iter().copied().collect();
    s.sort_by(|a, b| b.total_cmp(a));
    let kept = (s[0] * s[0] + s[1] * s[1]) / s.iter().map(|x| x * x).sum::<f64>();
    let note = opened.notes.join("\n");
    assert!(
        note.contains(&format!("{:.2} %", 100.0 * kept)),
        "{note} vs {kept}"
    );
    let truncated = network_of(opened);
    assert_eq!(truncated.dims().rank, 2);
    // Both solve the task the planted part was trained on.
    let file = path.to_str().unwrap();
    let report = run_args([
        "lowrank-explorer",
        "eval",
        file,
        "--truncate",
        "2",
        "--trials",
        "64",
        "--json",
    ])
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&report).unwrap();
    assert!(v["accuracy"].as_f64().unwrap() > 0.9, "{v}");
    assert!(v["full_rank"]["accuracy"].as_f64().unwrap() > 0.9, "{v}");
    assert!((v["full_rank"]["kept"].as_f64().unwrap() - kept).abs() < 1e-12);
    let full_only = run_args(["lowrank-explorer", "eval", file, "--trials", "64"]).unwrap();
    assert!(full_only.starts_with("accuracy"), "{full_only}");
    // info lists the spectrum; analyze needs the truncation and says so.
    let info = run_args(["lowrank-explorer", "info", file]).unwrap();
    assert!(
        info.contains("FullRankRNN") && info.contains("kept"),
        "{info}"
    );
    let err = run_args(["lowrank-explorer", "analyze", file]).unwrap_err();
    assert!(err.0.contains("--truncate"), "{}", err.0);
    let analysis = run_args(["lowrank-explorer", "analyze", file, "--truncate", "2"]).unwrap();
    assert!(analysis.contains("fixed point"), "{analysis}");
}

#[test]
fn options_that_do_not_apply_are_refused() {
    let dir = scratch("refused");
    let (full, _) = full_rank_tensors(0.1, 2);
    let full = write(&dir, "full.npz", &full);
    let low = write(
        &dir,
        "low.npz",
        &io::network_to_tensors(&example_network(), Dtype::F64),
    );
    let truncate = ReadOptions {
        truncate: Some(2),
        ..ReadOptions::default()
    };
    assert!(open(&low, truncate).unwrap_err().contains("--truncate"));
    let populations = ReadOptions {
        populations: true,
        ..ReadOptions::default()
    };
    assert!(
        open(&full, populations)
            .unwrap_err()
            .contains("--as-populations")
    );
    let over_n = ReadOptions {
        scaling: Some(Scaling::OverN),
        ..ReadOptions::default()
    };
    assert!(open(&full, over_n).unwrap_err().contains("no 1/N"));
    let too_big = ReadOptions {
        truncate: Some(0),
        ..ReadOptions::default()
    };
    assert!(
        open(&full, too_big)
            .unwrap_err()
            .contains("truncation rank")
    );
}

// ---------------------------------------------------------------------------------------------
// SupportLowRankRNN.

/// A support network's parameters, kept to check what is read against.
struct Support {
    neurons: usize,
    basis: DMatrix<f64>,
    fractions: Vec<f64>,
    /// `[kind][k][p]`: the weight rows of m, n, wi, wo.
    weights: Vec<Vec<Vec<Vec<f64>>>>,
    /// `[kind]`: biases `(K, P)` of m, n, wi.
    biases: Vec<DMatrix<f64>>,
    h0: DMatrix<f64>,
}

/// Rank 1, two inputs, one output, two supports of fractions 0.75 / 0.25, basis of 2R + S = 4
/// rows, weights of order `1/sqrt(N)` (readout `1/N`) as the papers' class holds them.
fn support(neurons: usize, seed: u64) -> Support {
    let mut rng = StdRng::seed_from_u64(seed);
    let b = 4;
    let root_n = (neurons as f64).sqrt();
    let counts = [1, 1, 2, 1];
    let scales = [1.5 / root_n, 1.5 / root_n, 1.0, 2.0 / neurons as f64];
    let weights = (0..4)
        .map(|kind| {
            (0..counts[kind])
                .map(|_| {
                    (0..2)
                        .map(|_| (0..b).map(|_| scales[kind] * noise(&mut rng)).collect())
                        .collect()
                })
                .collect()
        })
        .collect();
    let biases = (0..3)
        .map(|kind| DMatrix::from_fn(counts[kind], 2, |_, _| 0.2 * scales[kind] * noise(&mut rng)))
        .collect();
    Support {
        neurons,
        basis: DMatrix::from_fn(b, neurons, |_, _| noise(&mut rng)),
        fractions: vec![0.75, 0.25],
        weights,
        biases,
        h0: DMatrix::from_fn(2, b, |_, _| 0.1 * noise(&mut rng)),
    }
}

impl Support {
    fn population(&self, i: usize) -> usize {
        usize::from(i >= (0.75 * self.neurons as f64).floor() as usize)
    }

    fn tensors(&self) -> TensorMap {
        let (b, nn) = self.basis.shape();
        let supports = DMatrix::from_fn(2, nn, |p, i| f64::from(u8::from(self.population(i) == p)));
        let mut entries = vec![
            ("gaussian_basis", of_matrix(&self.basis)),
            ("supports", of_matrix(&supports)),
            ("weights", tensor(&[2], self.fractions.clone())),
        ];
        let names = ["m_weights", "n_weights", "wi_weights", "wo_weights"];
        for (kind, name) in names.iter().enumerate() {
            let w = &self.weights[kind];
            let data = w.iter().flatten().flatten().copied().collect();
            entries.push((name, tensor(&[w.len(), 2, b], data)));
        }
        for (kind, name) in ["m_biases", "n_biases", "wi_biases"].iter().enumerate() {
            entries.push((name, of_matrix(&self.biases[kind])));
        }
        entries.push(("h0_weights", of_matrix(&self.h0)));
        map_of(entries)
    }

    /// Loading `k` of `kind` of neuron `i`, as the papers' class computes it (no rescaling).
    fn loading(&self, kind: usize, k: usize, i: usize) -> f64 {
        let p = self.population(i);
        let row = &self.weights[kind][k][p];
        let dot: f64 = row
            .iter()
            .zip(self.basis.column(i).iter())
            .map(|(w, g)| w * g)
            .sum();
        dot + if kind < 3 {
            self.biases[kind][(k, p)]
        } else {
            0.0
        }
    }
}

#[test]
fn a_support_file_is_the_network_its_basis_and_weights_define() {
    let dir = scratch("support_network");
    let s = support(400, 3);
    let path = write(&dir, "support.pt", &s.tensors());
    let opened = open(&path, ReadOptions::default()).unwrap();
    assert!(opened.populations.is_some());
    let net = network_of(opened);
    let nn = 400.0_f64;
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * (1.0 + b.abs());
    for i in 0..400 {
        assert!(close(net.m()[(i, 0)], nn.sqrt() * s.loading(0, 0, i)));
        assert!(close(net.n()[(i, 0)], nn.sqrt() * s.loading(1, 0, i)));
        for k in 0..2 {
            assert!(close(net.input_vectors()[(i, k)], s.loading(2, k, i)));
        }
        assert!(close(
            net.readout_vectors()[(i, 0)],
            nn * s.loading(3, 0, i)
        ));
        let p = s.population(i);
        let h0: f64 = (0..4).map(|j| s.h0[(p, j)] * s.basis[(j, i)]).sum();
        assert!(close(net.h0()[i], h0));
    }
}

#[test]
fn a_support_file_is_the_population_model_of_its_supports() {
    // Monte Carlo truth: with many neurons, each support's empirical loading mean and
    // covariance (of the network read from the file) approach the model's.
    let dir = scratch("support_model");
    let s = support(60_000, 4);
    let path = write(&dir, "support.safetensors", &s.tensors());
    let opts = ReadOptions {
        populations: true,
        ..ReadOptions::default()
    };
    let ModelFile::Population(model) = open(&path, opts).unwrap().model else {
        panic!("expected a population model");
    };
    let net = network_of(open(&path, ReadOptions::default()).unwrap());
    let loadings = |i: usize| {
        DVector::from_vec(vec![
            net.m()[(i, 0)],
            net.n()[(i, 0)],
            net.input_vectors()[(i, 0)],
            net.input_vectors()[(i, 1)],
            net.readout_vectors()[(i, 0)],
        ])
    };
    assert_eq!(model.populations().len(), 2);
    for (p, pop) in model.populations().iter().enumerate() {
        assert_eq!(pop.fraction, s.fractions[p]);
        let rows: Vec<DVector<f64>> = (0..60_000)
            .filter(|&i| s.population(i) == p)
            .map(loadings)
            .collect();
        let count = rows.len() as f64;
        let mean = rows.iter().fold(DVector::zeros(5), |a, r| a + r) / count;
        let cov = rows.iter().fold(DMatrix::zeros(5, 5), |a, r| {
            a + (r - &mean) * (r - &mean).transpose()
        }) / count;
        for a in 0..5 {
            let sd = pop.cov[(a, a)].sqrt();
            // Five standard errors of a mean and of a covariance entry.
            assert!(
                (mean[a] - pop.mean[a]).abs() < 5.0 * sd / count.sqrt(),
                "population {p}, mean {a}: {} vs {}",
                mean[a],
                pop.mean[a]
            );
            for c in 0..5 {
                let scale = sd * pop.cov[(c, c)].sqrt();
                assert!(
                    (cov[(a, c)] - pop.cov[(a, c)]).abs() < 5.0 * scale * (2.0 / count).sqrt(),
                    "population {p}, cov [{a}, {c}]: {} vs {}",
                    cov[(a, c)],
                    pop.cov[(a, c)]
                );
            }
        }
    }
    // The CLI analyses it as its network or, with --as-populations, as the mean field.
    let file = path.to_str().unwrap();
    let as_model = run_args([
        "lowrank-explorer",
        "analyze",
        file,
        "--as-populations",
        "--json",
    ])
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&as_model).unwrap();
    assert!(v["fixed_points"].is_array(), "{v}");
}

/// Every malformed variant of the new keys is an error naming the key.
#[test]
fn malformed_support_files_name_the_key() {
    let dir = scratch("support_malformed");
    let s = support(40, 5);
    let good = s.tensors();
    let with = |key: &str, t: Option<Tensor>| {
        let mut map = TensorMap::new();
        for (k, v) in good.iter() {
            if k == key {
                if let Some(t) = &t {
                    map.insert(k.to_owned(), t.clone());
                }
            } else {
                map.insert(k.to_owned(), v.clone());
            }
        }
        map
    };
    let zeros = |shape: &[usize]| tensor(shape, vec![0.0; shape.iter().product()]);
    let mut supports_half = zeros(&[2, 40]);
    supports_half.data[0] = 0.5;
    let mut supports_twice = zeros(&[2, 40]);
    supports_twice.data[3] = 1.0;
    supports_twice.data[43] = 1.0;
    let cases: Vec<(&str, Option<Tensor>, &str)> = vec![
        ("gaussian_basis", Some(zeros(&[4])), "gaussian_basis"),
        ("supports", None, "supports"),
        ("supports", Some(zeros(&[2, 39])), "supports"),
        ("supports", Some(supports_half), "supports"),
        ("supports", Some(supports_twice), "supports"),
        ("weights", None, "weights"),
        (
            "weights",
            Some(tensor(&[3], vec![0.5, 0.25, 0.25])),
            "weights",
        ),
        ("weights", Some(tensor(&[2], vec![1.5, -0.5])), "weights"),
        ("weights", Some(tensor(&[2], vec![0.5, 0.25])), "weights"),
        ("m_weights", None, "m_weights"),
        ("m_weights", Some(zeros(&[1, 2, 3])), "m_weights"),
        ("m_weights", Some(zeros(&[1, 2])), "m_weights"),
        ("m_weights", Some(zeros(&[65, 2, 4])), "m_weights"),
        ("supports", Some(zeros(&[65, 40])), "supports"),
        ("n_weights", None, "n_weights"),
        ("n_weights", Some(zeros(&[2, 2, 4])), "n_weights"),
        ("wi_weights", None, "wi_weights"),
        ("wi_weights", Some(zeros(&[2, 3, 4])), "wi_weights"),
        ("wo_weights", None, "wo_weights"),
        ("wo_weights", Some(zeros(&[1, 2, 5])), "wo_weights"),
        ("m_biases", Some(zeros(&[2, 2])), "m_biases"),
        ("n_biases", Some(zeros(&[1, 3])), "n_biases"),
        ("wi_biases", Some(zeros(&[2])), "wi_biases"),
        ("h0_weights", Some(zeros(&[2, 3])), "h0_weights"),
    ];
    for (k, (key, replacement, named)) in cases.into_iter().enumerate() {
        let path = write(&dir, &format!("case{k}.npz"), &with(key, replacement));
        let err = open(&path, ReadOptions::default()).unwrap_err();
        assert!(
            err.contains(&format!("`{named}`")),
            "case {k} ({key}): {err}"
        );
    }
    // Non-finite weights are refused by the network's own check.
    let mut nan = good
        .iter()
        .find(|(k, _)| *k == "m_weights")
        .unwrap()
        .1
        .clone();
    nan.data[1] = f64::NAN;
    let path = write(&dir, "nan.npz", &with("m_weights", Some(nan)));
    assert!(open(&path, ReadOptions::default()).is_err());
}

#[test]
fn malformed_full_rank_files_name_the_key() {
    let dir = scratch("full_malformed");
    let nn = 12;
    let good = map_of(vec![
        ("wi", tensor(&[2, nn], vec![0.1; 2 * nn])),
        ("si", tensor(&[2], vec![1.0, 1.0])),
        ("wrec", tensor(&[nn, nn], vec![0.01; nn * nn])),
        ("wo", tensor(&[nn, 1], vec![0.1; nn])),
        ("so", tensor(&[1], vec![1.0])),
    ]);
    assert!(matches!(
        open(&write(&dir, "good.npz", &good), ReadOptions::default())
            .unwrap()
            .model,
        ModelFile::FullRank(_)
    ));
    let replaced = |key: &str, t: Option<Tensor>| {
        let mut map = TensorMap::new();
        for (k, v) in good.iter() {
            match (k == key, &t) {
                (false, _) => map.insert(k.to_owned(), v.clone()),
                (true, Some(t)) => map.insert(k.to_owned(), t.clone()),
                (true, None) => {}
            }
        }
        map
    };
    let mut inf = tensor(&[nn, nn], vec![0.01; nn * nn]);
    inf.data[5] = f64::INFINITY;
    let cases = [
        (
            "wrec",
            Some(tensor(&[nn, nn - 1], vec![0.0; nn * (nn - 1)])),
        ),
        ("wrec", Some(tensor(&[nn * nn], vec![0.0; nn * nn]))),
        ("wrec", Some(inf)),
        ("wi", None),
        ("wi", Some(tensor(&[2, nn + 1], vec![0.0; 2 * nn + 2]))),
        ("wo", Some(tensor(&[nn - 1, 1], vec![0.0; nn - 1]))),
        ("so", None),
        ("si", Some(tensor(&[3], vec![1.0; 3]))),
    ];
    for (k, (key, t)) in cases.into_iter().enumerate() {
        let path = write(&dir, &format!("case{k}.npz"), &replaced(key, t));
        let err = open(&path, ReadOptions::default()).unwrap_err();
        assert!(err.contains(&format!("`{key}`")), "case {k}: {err}");
    }
}
