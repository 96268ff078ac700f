use nalgebra::{DMatrix, DVector};
use rand::SeedableRng;
use rand::prelude::*;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

use super::*;
use crate::reduced::param::{Loading, ModelParam};
use crate::reduced::population::Population;
use crate::reduced::presets;
use crate::reduced::testing::check_jacobian;

fn dms() -> PopulationModel {
    presets::get("dms_mixture_2pop").unwrap().model
}

fn didactic() -> PopulationModel {
    presets::get("poster_didactic").unwrap().model
}

/// The DMS mixture with non-zero means on every loading of both populations.
fn dms_with_means() -> PopulationModel {
    let mut model = dms();
    let means = [
        [0.5, -0.3, 0.8, -0.4, 0.2, -0.1, 0.3],
        [-0.4, 0.6, -0.5, 0.7, 0.1, 0.3, -0.2],
    ];
    for (p, mu) in means.iter().enumerate() {
        for (i, &m) in mu.iter().enumerate() {
            let a = Loading::from_index(i, &model.dims());
            model.set_mean(p, a, m).unwrap();
        }
    }
    model
}

fn random_point(rng: &mut StdRng, len: usize, scale: f64) -> Vec<f64> {
    (0..len)
        .map(|_| scale * (2.0 * rng.random::<f64>() - 1.0))
        .collect()
}

fn flow(sys: &MeanField, kappa: &[f64], v: &[f64]) -> Vec<f64> {
    let mut f = vec![0.0; kappa.len()];
    sys.flow(kappa, v, &mut f);
    f
}

#[test]
fn jacobian_matches_finite_differences_zero_means_means_and_clamps() {
    let mut clamped_with_means = dms_with_means();
    clamped_with_means.set_gain_clamp(1, Some(0.4)).unwrap();
    let mut clamped_zero_mean = dms();
    clamped_zero_mean.set_gain_clamp(0, Some(0.7)).unwrap();
    let mut rng = StdRng::seed_from_u64(11);
    for model in [
        dms(),
        dms_with_means(),
        clamped_with_means,
        clamped_zero_mean,
        didactic(),
    ] {
        let sys = MeanField::new(&model);
        for _ in 0..12 {
            let kappa = random_point(&mut rng, 2, 3.0);
            let v = random_point(&mut rng, 2, 1.5);
            check_jacobian(&sys, &kappa, &v, 1e-7);
        }
    }
}

/// A rank-2, one-input model whose first population has a negative variance on `m1`, so that
/// `y^T Sigma y < 0` near the `kappa_1` axis.
fn non_psd_model(with_means: bool) -> PopulationModel {
    let dims = ModelDims {
        rank: 2,
        inputs: 1,
        outputs: 0,
    };
    // Order m1 m2 n1 n2 I1.
    let mut c1 = DMatrix::from_diagonal(&DVector::from_vec(vec![-1.0, 1.0, 2.0, 2.0, 0.5]));
    for (i, j, x) in [
        (2, 0, 0.8),
        (3, 1, 0.5),
        (2, 1, 0.3),
        (3, 4, 0.2),
        (1, 4, 0.1),
    ] {
        c1[(i, j)] = x;
        c1[(j, i)] = x;
    }
    let c2 = DMatrix::from_fn(5, 5, |i, j| if i == j { 1.5 } else { 0.2 });
    let mut pops = vec![
        Population::zero_mean("non-PSD", 0.6, c1),
        Population::zero_mean("PSD", 0.4, c2),
    ];
    if with_means {
        pops[0].mean = DVector::from_vec(vec![0.3, -0.2, 0.5, 0.1, 0.2]);
    }
    PopulationModel::new(dims, vec!["A".into()], pops).unwrap()
}

#[test]
fn non_psd_variance_is_clamped_at_zero_and_stays_finite() {
    for with_means in [false, true] {
        let model = non_psd_model(with_means);
        let status = model.psd_status();
        assert!(!status[0].is_psd && status[0].smallest_eigenvalue < -0.5);
        assert!(status[1].is_psd);
        let sys = MeanField::new(&model);
        // Delta_raw < 0 around (1.2, 0.2) with v = 0.1; > 0 around (0.2, 1.5).
        for (kappa, v, negative) in [
            ([1.2, 0.2], [0.1], true),
            ([-2.0, 0.5], [0.3], true),
            ([0.2, 1.5], [0.1], false),
            ([0.5, -2.0], [-0.4], false),
        ] {
            let ec = sys.effective_connectivity(&kappa, &v);
            let pop = &ec.populations[0];
            assert_eq!(
                pop.variance == 0.0,
                negative,
                "{kappa:?}: Delta = {}",
                pop.variance
            );
            if negative && !with_means {
                assert!(
                    (pop.gain - 1.0).abs() < 1e-15,
                    "Delta clamped at 0: gain {}",
                    pop.gain
                );
            }
            let f = flow(&sys, &kappa, &v);
            assert!(f.iter().all(|x| x.is_finite()));
            check_jacobian(&sys, &kappa, &v, 1e-7);
        }
    }
}

/// Running mean and variance of one sampled quantity.
#[derive(Default, Clone, Copy)]
struct Stat {
    n: f64,
    sum: f64,
    sum_sq: f64,
}

impl Stat {
    fn add(&mut self, x: f64) {
        self.n += 1.0;
        self.sum += x;
        self.sum_sq += x * x;
    }
    fn mean(&self) -> f64 {
        self.sum / self.n
    }
    /// Standard error of the mean, from the sample variance.
    fn se(&self) -> f64 {
        let var = (self.sum_sq / self.n - self.mean().powi(2)) * self.n / (self.n - 1.0);
        (var / self.n).sqrt()
    }
}

/// Per test point: samples of `n_r tanh(x)` (R), `w_o tanh(x)` (O) and, per population, `phi'(x)`.
struct McPoint {
    n_phi: Vec<Stat>,
    w_phi: Vec<Stat>,
    gains: Vec<Stat>,
}

/// Draws `samples` neurons from the mixture (population by fraction, loadings `mu_p + L_p z` with
/// `L_p L_p^T = Sigma_p`) and accumulates the statistics at every point.
fn monte_carlo(
    model: &PopulationModel,
    points: &[(Vec<f64>, Vec<f64>)],
    samples: usize,
) -> Vec<McPoint> {
    let dims = model.dims();
    let (r, s, o, d) = (dims.rank, dims.inputs, dims.outputs, dims.loadings());
    let factors: Vec<DMatrix<f64>> = model
        .populations()
        .iter()
        .map(|p| {
            let eig = p.cov.clone().symmetric_eigen();
            let root = eig.eigenvalues.map(|l| l.max(0.0).sqrt());
            &eig.eigenvectors * DMatrix::from_diagonal(&root)
        })
        .collect();
    let mut stats: Vec<McPoint> = points
        .iter()
        .map(|_| McPoint {
            n_phi: vec![Stat::default(); r],
            w_phi: vec![Stat::default(); o],
            gains: vec![Stat::default(); model.populations().len()],
        })
        .collect();
    let mut rng = StdRng::seed_from_u64(2024);
    let mut z = DVector::zeros(d);
    for _ in 0..samples {
        let u: f64 = rng.random();
        let mut acc = 0.0;
        let p = model
            .populations()
            .iter()
            .position(|pop| {
                acc += pop.fraction;
                u < acc
            })
            .unwrap_or(model.populations().len() - 1);
        for zi in z.iter_mut() {
            *zi = StandardNormal.sample(&mut rng);
        }
        let loading = &model.populations()[p].mean + &factors[p] * &z;
        for ((kappa, v), st) in points.iter().zip(stats.iter_mut()) {
            let x: f64 = (0..r).map(|l| kappa[l] * loading[l]).sum::<f64>()
                + (0..s).map(|l| v[l] * loading[2 * r + l]).sum::<f64>();
            let t = x.tanh();
            for (row, stat) in st.n_phi.iter_mut().enumerate() {
                stat.add(loading[r + row] * t);
            }
            for (out, stat) in st.w_phi.iter_mut().enumerate() {
                stat.add(loading[2 * r + s + out] * t);
            }
            st.gains[p].add(1.0 - t * t);
        }
    }
    stats
}

/// `|a - b| <= 4 SE`, with a readable failure; returns the deviation in standard errors.
fn within_4_se(what: &str, mean_field: f64, mc: &Stat) -> f64 {
    let dev = (mean_field - mc.mean()).abs() / mc.se();
    assert!(
        dev <= 4.0,
        "{what}: mean field {mean_field} vs Monte Carlo {} ± {} ({dev:.1} SE)",
        mc.mean(),
        mc.se()
    );
    eprintln!(
        "{what}: |mean field - MC| = {:.1e} = {dev:.2} SE",
        (mean_field - mc.mean()).abs()
    );
    dev
}

fn check_against_monte_carlo(model: &PopulationModel) {
    let points = vec![
        (vec![0.5, -0.3], vec![0.0, 0.0]),
        (vec![1.2, 0.8], vec![1.0, 0.0]),
        (vec![-2.0, 1.0], vec![0.0, 1.0]),
    ];
    let stats = monte_carlo(model, &points, 1_000_000);
    let sys = MeanField::new(model);
    for ((kappa, v), st) in points.iter().zip(&stats) {
        let f = flow(&sys, kappa, v);
        for r in 0..2 {
            within_4_se(
                &format!("F_{} at {kappa:?}, {v:?}", r + 1),
                f[r] + kappa[r],
                &st.n_phi[r],
            );
        }
        let mut z = [0.0];
        sys.readout(kappa, v, &mut z);
        within_4_se(&format!("z at {kappa:?}, {v:?}"), z[0], &st.w_phi[0]);
        let ec = sys.effective_connectivity(kappa, v);
        for (p, share) in ec.populations.iter().enumerate() {
            within_4_se(
                &format!("gain of pop {} at {kappa:?}, {v:?}", p + 1),
                share.gain,
                &st.gains[p],
            );
        }
    }
}

#[test]
fn zero_mean_mean_field_matches_a_million_sampled_neurons() {
    check_against_monte_carlo(&dms());
}

#[test]
fn mean_field_with_means_matches_a_million_sampled_neurons() {
    check_against_monte_carlo(&dms_with_means());
}

#[test]
fn flow_decomposes_into_the_effective_connectivity() {
    let mut rng = StdRng::seed_from_u64(4);
    for model in [dms(), dms_with_means()] {
        let sys = MeanField::new(&model);
        for _ in 0..5 {
            let kappa = random_point(&mut rng, 2, 2.0);
            let v = random_point(&mut rng, 2, 1.0);
            let ec = sys.effective_connectivity(&kappa, &v);
            let y = DVector::from_iterator(4, kappa.iter().chain(&v).copied());
            let rebuilt = -DVector::from_column_slice(&kappa) + &ec.total * &y + &ec.mean_drive;
            let f = flow(&sys, &kappa, &v);
            for r in 0..2 {
                assert!((rebuilt[r] - f[r]).abs() < 1e-14, "{rebuilt} vs {f:?}");
            }
            let mut sum = DMatrix::zeros(2, 4);
            for (p, share) in ec.populations.iter().enumerate() {
                let pop = &model.populations()[p];
                for (r, l) in (0..2).flat_map(|r| (0..4).map(move |l| (r, l))) {
                    let col = if l < 2 { l } else { l + 2 }; // m1 m2 | I1 I2
                    let expected = pop.fraction * pop.cov[(2 + r, col)];
                    assert_eq!(share.weighted_cov[(r, l)], expected);
                }
                sum += &share.weighted_cov * share.gain;
            }
            assert!((sum - &ec.total).amax() < 1e-15);
            let (mut f2, mut jac) = (vec![0.0; 2], vec![0.0; 4]);
            sys.flow_jacobian(&kappa, &v, &mut f2, &mut jac);
            assert_eq!(ec.exact_jacobian.transpose().as_slice(), jac.as_slice());
        }
    }
}

#[test]
fn poster_jacobian_equals_the_exact_one_only_where_cov_n_x_vanishes() {
    let sys = MeanField::new(&dms());
    let at_origin = sys.effective_connectivity(&[0.0, 0.0], &[0.0, 0.0]);
    assert!((&at_origin.poster_jacobian - &at_origin.exact_jacobian).amax() < 1e-15);
    let away = sys.effective_connectivity(&[0.5, -0.3], &[0.0, 0.0]);
    assert!((&away.poster_jacobian - &away.exact_jacobian).amax() > 1e-2);
}

/// Newton's method on `F` with the analytic Jacobian (2-D).
fn newton(sys: &MeanField, start: [f64; 2], v: &[f64]) -> [f64; 2] {
    let mut k = start;
    let (mut f, mut j) = (vec![0.0; 2], vec![0.0; 4]);
    for _ in 0..50 {
        sys.flow_jacobian(&k, v, &mut f, &mut j);
        let det = j[0] * j[3] - j[1] * j[2];
        k[0] -= (j[3] * f[0] - j[1] * f[1]) / det;
        k[1] -= (-j[2] * f[0] + j[0] * f[1]) / det;
    }
    k
}

/// Eigenvalues of a real 2 x 2 matrix (row-major) as `(re, im)` pairs.
fn eigenvalues_2x2(j: &[f64]) -> [(f64, f64); 2] {
    let (tr, det) = (j[0] + j[3], j[0] * j[3] - j[1] * j[2]);
    let disc = tr * tr / 4.0 - det;
    if disc >= 0.0 {
        [(tr / 2.0 + disc.sqrt(), 0.0), (tr / 2.0 - disc.sqrt(), 0.0)]
    } else {
        [(tr / 2.0, (-disc).sqrt()), (tr / 2.0, -(-disc).sqrt())]
    }
}

fn jacobian_at(sys: &MeanField, k: &[f64], v: &[f64]) -> Vec<f64> {
    let (mut f, mut j) = (vec![0.0; 2], vec![0.0; 4]);
    sys.flow_jacobian(k, v, &mut f, &mut j);
    j
}

#[test]
fn dms_mixture_has_an_unstable_origin_and_two_memories_without_input() {
    let model = dms();
    let sys = MeanField::new(&model);
    let zero = [0.0, 0.0];
    assert_eq!(flow(&sys, &zero, &zero), [0.0, 0.0]);
    // At the origin every gain is 1: J = sum_p alpha_p Sigma_p[n, m] - Id, from the raw fixture.
    let mut j0 = DMatrix::<f64>::identity(2, 2) * -1.0;
    for p in model.populations() {
        j0 += p.cov.view((2, 0), (2, 2)) * p.fraction;
    }
    let j = jacobian_at(&sys, &zero, &zero);
    assert!((DMatrix::from_row_slice(2, 2, &j) - &j0).amax() < 1e-15);
    let eig = eigenvalues_2x2(&j);
    assert!(
        eig.iter().all(|&(re, im)| re > 0.0 && im == 0.0),
        "unstable node: {eig:?}"
    );
    // Fixed points found independently (NumPy, dense trapezoid Gaussian averages).
    let memory = newton(&sys, [0.2, 0.5], &zero);
    assert!(
        (memory[0] - 0.176_873_213_405).abs() < 1e-9
            && (memory[1] - 0.535_104_911_972).abs() < 1e-9
    );
    let e = eigenvalues_2x2(&jacobian_at(&sys, &memory, &zero));
    assert!(e.iter().all(|&(re, _)| re < 0.0), "stable: {e:?}");
    let saddle = newton(&sys, [0.0, 0.25], &zero);
    assert!(
        (saddle[0] - 0.005_023_615_433).abs() < 1e-9 && (saddle[1] - 0.247_792_966).abs() < 1e-9
    );
    let e = eigenvalues_2x2(&jacobian_at(&sys, &saddle, &zero));
    assert!(e[0].0 > 0.0 && e[1].0 < 0.0, "saddle: {e:?}");
    // The zero-mean flow is odd: the other memory and saddle mirror these.
    let mirrored = flow(&sys, &[-memory[0], -memory[1]], &zero);
    assert!(mirrored.iter().all(|x| x.abs() < 1e-14));
}

#[test]
fn didactic_preset_switches_s21_with_the_gain_clamps() {
    let s21 = |clamps: [f64; 2]| {
        let mut model = didactic();
        for (p, g) in clamps.iter().enumerate() {
            ModelParam::Gain { pop: p }.set(&mut model, *g).unwrap();
        }
        let ec = MeanField::new(&model).effective_connectivity(&[0.3, -0.2], &[0.5, 0.5]);
        (ec.total[(1, 0)], ec.explain(1, 0, 2))
    };
    assert_eq!(s21([1.0, 1.0]).0, 0.0);
    assert_eq!(s21([1.0, 0.0]).0, 1.0, "input A saturates pop 2");
    assert_eq!(s21([0.0, 1.0]).0, -1.0, "input B saturates pop 1");
    assert_eq!(
        s21([1.0, 0.0]).1,
        "S~_21 = 1.00 x 1.00 + (-1.00) x 0.00 = 1.00"
    );
    // Without clamps the inputs do it themselves.
    let sys = MeanField::new(&didactic());
    let at = |v: [f64; 2]| sys.effective_connectivity(&[0.0, 0.0], &v).total[(1, 0)];
    assert_eq!(at([0.0, 0.0]), 0.0);
    assert!(at([1.0, 0.0]) > 0.5 && at([0.0, 1.0]) < -0.5);
}

#[test]
fn didactic_preset_has_two_memories_and_a_readout_following_kappa2() {
    let sys = MeanField::new(&didactic());
    let zero = [0.0, 0.0];
    for sign in [1.0, -1.0] {
        let memory = newton(&sys, [2.0 * sign, 0.1], &zero);
        assert!((memory[0] - 2.222_314_069_947_1 * sign).abs() < 1e-9 && memory[1].abs() < 1e-12);
        let e = eigenvalues_2x2(&jacobian_at(&sys, &memory, &zero));
        assert!(e.iter().all(|&(re, _)| re < 0.0), "{e:?}");
    }
    let e = eigenvalues_2x2(&jacobian_at(&sys, &zero, &zero));
    assert!(e[0].0 > 0.0 && e[1].0 < 0.0, "saddle at the origin: {e:?}");
    // z = sum_p alpha_p <phi'>_p Sigma_p[w, m2] kappa_2, with Sigma_p[w, m2] = 1.
    let (kappa, v) = ([0.7, -0.4], [0.2, 0.6]);
    let ec = sys.effective_connectivity(&kappa, &v);
    let mut z = [0.0];
    sys.readout(&kappa, &v, &mut z);
    let expected: f64 = ec.populations.iter().map(|p| 0.5 * p.gain * kappa[1]).sum();
    assert!((z[0] - expected).abs() < 1e-15);
}

#[test]
fn fully_clamped_models_are_linear() {
    let mut model = dms_with_means();
    model.set_gain_clamp(0, Some(0.6)).unwrap();
    model.set_gain_clamp(1, Some(0.2)).unwrap();
    let sys = MeanField::new(&model);
    let v = [0.3, -0.5];
    let (a, b) = ([0.4, -1.2], [-2.5, 0.7]);
    let mid = [0.25 * a[0] + 0.75 * b[0], 0.25 * a[1] + 0.75 * b[1]];
    let (fa, fb, fm) = (flow(&sys, &a, &v), flow(&sys, &b, &v), flow(&sys, &mid, &v));
    for r in 0..2 {
        assert!((fm[r] - (0.25 * fa[r] + 0.75 * fb[r])).abs() < 1e-14);
    }
    let ja = jacobian_at(&sys, &a, &v);
    assert_eq!(ja, jacobian_at(&sys, &b, &v));
    let ec = sys.effective_connectivity(&a, &v);
    let poster_plus_means = DMatrix::from_row_slice(2, 2, &ja) - &ec.poster_jacobian;
    // Clamped populations act as x -> g x: the only other term is sum_p alpha_p g_p mu_p[n] mu_p[m]^T.
    let mut means = DMatrix::zeros(2, 2);
    for p in model.populations() {
        let g = p.gain_clamp.unwrap();
        means += p.mean.rows(2, 2) * p.mean.rows(0, 2).transpose() * (p.fraction * g);
    }
    assert!((poster_plus_means - means).amax() < 1e-14);
}

#[test]
fn flow_many_equals_pointwise_flow() {
    for model in [dms(), dms_with_means()] {
        let sys = MeanField::new(&model);
        let v = [0.2, 0.9];
        let points: Vec<f64> = (0..2 * 500)
            .map(|i| ((i * 53) % 97) as f64 / 20.0 - 2.4)
            .collect();
        let mut many = vec![0.0; points.len()];
        sys.flow_many(&points, &v, &mut many);
        for (p, o) in points.chunks_exact(2).zip(many.chunks_exact(2)) {
            assert_eq!(o, flow(&sys, p, &v));
        }
    }
}

#[test]
fn extreme_points_give_finite_or_nan_values_without_panicking() {
    for model in [dms(), dms_with_means()] {
        let sys = MeanField::new(&model);
        let huge = flow(&sys, &[1e100, -3e99], &[1e99, 0.0]);
        assert!(huge.iter().all(|x| x.is_finite()), "{huge:?}");
        let nan = flow(&sys, &[f64::NAN, 0.0], &[0.0, 0.0]);
        assert!(nan.iter().all(|x| x.is_nan()));
    }
}

/// The README's claim: with the trained map (alpha = 0.2), stimulus 1 (25 steps), a delay (50) and
/// stimulus 2 (25), `kappa_2` and the readout are positive for a match and negative otherwise.
#[test]
fn didactic_preset_computes_match_non_match_with_the_map() {
    let sys = MeanField::new(&didactic());
    let input = |s: char| if s == 'A' { [1.0, 0.0] } else { [0.0, 1.0] };
    for (first, second) in [('A', 'A'), ('A', 'B'), ('B', 'A'), ('B', 'B')] {
        let mut k = vec![0.0, 0.0];
        let epochs = [(input(first), 25), ([0.0, 0.0], 50), (input(second), 25)];
        for (v, steps) in epochs {
            for _ in 0..steps {
                let f = flow(&sys, &k, &v);
                k[0] += 0.2 * f[0];
                k[1] += 0.2 * f[1];
            }
        }
        let mut z = [0.0];
        sys.readout(&k, &input(second), &mut z);
        let expected = if first == second { 1.0 } else { -1.0 };
        assert!(
            k[1] * expected > 0.2 && z[0] * expected > 0.1,
            "{first}{second}: kappa {k:?}, z {z:?}"
        );
    }
}

/// `R + S = 17` exceeds the stack workspace: the heap path must give the same, correct numbers.
#[test]
fn models_with_many_variables_use_the_heap_workspace() {
    let dims = ModelDims {
        rank: 3,
        inputs: 14,
        outputs: 1,
    };
    let d = dims.loadings();
    let mut rng = StdRng::seed_from_u64(9);
    let mut pops = Vec::new();
    for p in 0..2 {
        let a = DMatrix::from_fn(d, d, |_, _| rng.random::<f64>() - 0.5);
        let mut pop = Population::zero_mean(format!("pop {p}"), 0.5, &a * a.transpose() * 0.3);
        if p == 1 {
            pop.mean = DVector::from_fn(d, |_, _| 0.4 * (rng.random::<f64>() - 0.5));
        }
        pops.push(pop);
    }
    let names = (1..=dims.inputs).map(|s| format!("I{s}")).collect();
    let model = PopulationModel::new(dims, names, pops).unwrap();
    let sys = MeanField::new(&model);
    for _ in 0..4 {
        let kappa = random_point(&mut rng, 3, 1.5);
        let v = random_point(&mut rng, 14, 0.5);
        check_jacobian(&sys, &kappa, &v, 1e-7);
        let ec = sys.effective_connectivity(&kappa, &v);
        let y = DVector::from_iterator(17, kappa.iter().chain(&v).copied());
        let rebuilt = -DVector::from_column_slice(&kappa) + &ec.total * &y + &ec.mean_drive;
        let f = flow(&sys, &kappa, &v);
        assert!(rebuilt.iter().zip(&f).all(|(a, b)| (a - b).abs() < 1e-13));
    }
}
