//! Scalar parameters of a population model by name, for sliders and continuation.
//!
//! Syntax (population numbers 1-based, loadings `m1.. n1.. I1.. w1..` as in MODEL.md 4):
//!
//! | parameter | meaning |
//! |---|---|
//! | `p1.fraction` | `alpha_1`; setting it rescales the other fractions so the sum stays 1 |
//! | `p2.gain` | the gain clamp of population 2 (teaching mode); setting it clamps |
//! | `p1.cov(n2,m1)` | `Sigma_1[n2, m1]`; setting it sets both symmetric entries |
//! | `p1.mean(m1)` | `mu_1[m1]` |
//!
//! Parsing ignores spaces and accepts `i1` for `I1`; [`Display`](std::fmt::Display) writes the
//! canonical form, so `s.parse::<ModelParam>()?.to_string()` normalises a name.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::population::{ModelDims, ModelError, PopulationModel};

/// One loading of MODEL.md 4, 0-based (`M(0)` is `m1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Loading {
    /// `m_{r+1}`.
    M(usize),
    /// `n_{r+1}`.
    N(usize),
    /// `I_{s+1}`.
    I(usize),
    /// `w_{o+1}`.
    W(usize),
}

impl Loading {
    /// Position in the covariance order `(m.., n.., I.., w..)`, if the loading exists in `dims`.
    pub fn index(self, dims: &ModelDims) -> Option<usize> {
        let (offset, k, count) = match self {
            Loading::M(k) => (0, k, dims.rank),
            Loading::N(k) => (dims.rank, k, dims.rank),
            Loading::I(k) => (2 * dims.rank, k, dims.inputs),
            Loading::W(k) => (2 * dims.rank + dims.inputs, k, dims.outputs),
        };
        (k < count).then_some(offset + k)
    }

    /// The loading at position `i` of the covariance order (`i < dims.loadings()`; larger values
    /// name outputs beyond the model, which [`Loading::index`] then rejects).
    pub fn from_index(i: usize, dims: &ModelDims) -> Loading {
        let (r, s) = (dims.rank, dims.inputs);
        if i < r {
            Loading::M(i)
        } else if i < 2 * r {
            Loading::N(i - r)
        } else if i < 2 * r + s {
            Loading::I(i - 2 * r)
        } else {
            Loading::W(i - 2 * r - s)
        }
    }
}

impl fmt::Display for Loading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (letter, k) = match *self {
            Loading::M(k) => ('m', k),
            Loading::N(k) => ('n', k),
            Loading::I(k) => ('I', k),
            Loading::W(k) => ('w', k),
        };
        write!(f, "{letter}{}", k + 1)
    }
}

impl FromStr for Loading {
    type Err = String;

    /// `m1`, `n2`, `I1` (or `i1`), `w1`: a letter and a 1-based number.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let mut chars = s.chars();
        let letter = chars.next().ok_or("empty loading name")?;
        let number: usize = chars
            .as_str()
            .parse()
            .ok()
            .filter(|&k| k >= 1)
            .ok_or_else(|| format!("`{s}` is not a loading (m1, n2, I1, w1, ...)"))?;
        let k = number - 1;
        match letter {
            'm' => Ok(Loading::M(k)),
            'n' => Ok(Loading::N(k)),
            'I' | 'i' => Ok(Loading::I(k)),
            'w' => Ok(Loading::W(k)),
            _ => Err(format!("`{s}` is not a loading (m1, n2, I1, w1, ...)")),
        }
    }
}

/// A scalar parameter of a [`PopulationModel`]; `pop` is 0-based (shown 1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelParam {
    /// `alpha_pop`.
    Fraction { pop: usize },
    /// The gain clamp of `pop`.
    Gain { pop: usize },
    /// `Sigma_pop[a, b]` (symmetric).
    Cov { pop: usize, a: Loading, b: Loading },
    /// `mu_pop[a]`.
    Mean { pop: usize, a: Loading },
}

impl ModelParam {
    /// The population the parameter belongs to (0-based).
    pub fn pop(&self) -> usize {
        match *self {
            ModelParam::Fraction { pop }
            | ModelParam::Gain { pop }
            | ModelParam::Cov { pop, .. }
            | ModelParam::Mean { pop, .. } => pop,
        }
    }

    /// The values [`set`](Self::set) accepts: `[0, 1]` for fractions and gains, else
    /// `[-MAX_ABS_ENTRY, MAX_ABS_ENTRY]`.
    pub fn domain(&self) -> (f64, f64) {
        match self {
            ModelParam::Fraction { .. } | ModelParam::Gain { .. } => (0.0, 1.0),
            ModelParam::Cov { .. } | ModelParam::Mean { .. } => (
                -super::population::MAX_ABS_ENTRY,
                super::population::MAX_ABS_ENTRY,
            ),
        }
    }

    /// The current value. A gain that is not clamped has no value ([`ModelError::NotClamped`]).
    pub fn get(&self, model: &PopulationModel) -> Result<f64, ModelError> {
        let count = model.populations().len();
        let p = model
            .populations()
            .get(self.pop())
            .ok_or(ModelError::NoSuchPopulation {
                pop: self.pop(),
                count,
            })?;
        match *self {
            ModelParam::Fraction { .. } => Ok(p.fraction),
            ModelParam::Gain { pop } => p.gain_clamp.ok_or(ModelError::NotClamped { pop }),
            ModelParam::Cov { a, b, .. } => {
                Ok(p.cov[(model.loading_index(a)?, model.loading_index(b)?)])
            }
            ModelParam::Mean { a, .. } => Ok(p.mean[model.loading_index(a)?]),
        }
    }

    /// Sets the value, with the semantics of the matching [`PopulationModel`] setter (fractions
    /// rescale the others, covariances stay symmetric, a gain value clamps the population).
    pub fn set(&self, model: &mut PopulationModel, value: f64) -> Result<(), ModelError> {
        match *self {
            ModelParam::Fraction { pop } => model.set_fraction(pop, value),
            ModelParam::Gain { pop } => model.set_gain_clamp(pop, Some(value)),
            ModelParam::Cov { pop, a, b } => model.set_cov(pop, a, b, value),
            ModelParam::Mean { pop, a } => model.set_mean(pop, a, value),
        }
    }
}

impl fmt::Display for ModelParam {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "p{}.", self.pop() + 1)?;
        match self {
            ModelParam::Fraction { .. } => write!(f, "fraction"),
            ModelParam::Gain { .. } => write!(f, "gain"),
            ModelParam::Cov { a, b, .. } => write!(f, "cov({a},{b})"),
            ModelParam::Mean { a, .. } => write!(f, "mean({a})"),
        }
    }
}

impl FromStr for ModelParam {
    type Err = ModelError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let fail = |reason: String| ModelError::Parse {
            text: text.to_string(),
            reason,
        };
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let (head, tail) = compact
            .split_once('.')
            .ok_or_else(|| fail("expected `p<k>.<field>`, e.g. `p1.cov(n2,m1)`".into()))?;
        let pop = head
            .strip_prefix(['p', 'P'])
            .and_then(|k| k.parse::<usize>().ok())
            .filter(|&k| k >= 1)
            .ok_or_else(|| fail(format!("`{head}` is not a population (p1, p2, ...)")))?
            - 1;
        let args = |name: &str| -> Option<Vec<&str>> {
            let inner = tail
                .strip_prefix(name)?
                .strip_prefix('(')?
                .strip_suffix(')')?;
            Some(inner.split(',').collect())
        };
        let loading = |s: &str| s.parse::<Loading>().map_err(fail);
        match tail {
            "fraction" => Ok(ModelParam::Fraction { pop }),
            "gain" => Ok(ModelParam::Gain { pop }),
            _ => match (args("cov"), args("mean")) {
                (Some(ab), _) if ab.len() == 2 => Ok(ModelParam::Cov {
                    pop,
                    a: loading(ab[0])?,
                    b: loading(ab[1])?,
                }),
                (_, Some(a)) if a.len() == 1 => Ok(ModelParam::Mean {
                    pop,
                    a: loading(a[0])?,
                }),
                _ => Err(fail(format!(
                    "unknown field `{tail}` (fraction, gain, cov(a,b), mean(a))"
                ))),
            },
        }
    }
}

/// Serialised as its name, e.g. `"p1.cov(n2,m1)"`, so sessions stay readable.
impl Serialize for ModelParam {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ModelParam {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use nalgebra::DMatrix;

    use super::*;
    use crate::reduced::population::Population;

    fn model() -> PopulationModel {
        let dims = ModelDims {
            rank: 2,
            inputs: 2,
            outputs: 1,
        };
        let cov = |scale: f64| DMatrix::from_fn(7, 7, |i, j| if i == j { scale } else { 0.1 });
        PopulationModel::new(
            dims,
            vec!["A".into(), "B".into()],
            vec![
                Population::zero_mean("one", 0.25, cov(2.0)),
                Population::zero_mean("two", 0.75, cov(3.0)),
            ],
        )
        .unwrap()
    }

    #[test]
    fn names_round_trip_through_display_and_parse() {
        let all = [
            ModelParam::Fraction { pop: 0 },
            ModelParam::Gain { pop: 1 },
            ModelParam::Cov {
                pop: 0,
                a: Loading::N(1),
                b: Loading::M(0),
            },
            ModelParam::Cov {
                pop: 11,
                a: Loading::I(0),
                b: Loading::W(2),
            },
            ModelParam::Mean {
                pop: 0,
                a: Loading::M(0),
            },
        ];
        let texts = [
            "p1.fraction",
            "p2.gain",
            "p1.cov(n2,m1)",
            "p12.cov(I1,w3)",
            "p1.mean(m1)",
        ];
        for (p, t) in all.iter().zip(texts) {
            assert_eq!(p.to_string(), t);
            assert_eq!(t.parse::<ModelParam>().unwrap(), *p);
            let json = serde_json::to_string(p).unwrap();
            assert_eq!(json, format!("\"{t}\""));
            assert_eq!(serde_json::from_str::<ModelParam>(&json).unwrap(), *p);
        }
        assert_eq!(
            " P1 . cov( n2 , i1 ) ".parse::<ModelParam>().unwrap(),
            ModelParam::Cov {
                pop: 0,
                a: Loading::N(1),
                b: Loading::I(0)
            }
        );
    }

    #[test]
    fn malformed_names_are_rejected() {
        for bad in [
            "",
            "p0.gain",
            "q1.gain",
            "p1",
            "p1.gains",
            "p1.cov(n2)",
            "p1.cov(n2,m1,m2)",
            "p1.mean(x1)",
            "p1.mean(m0)",
            "p1.cov(n2,m1",
            "p-1.fraction",
        ] {
            let err = bad.parse::<ModelParam>().unwrap_err();
            assert!(matches!(err, ModelError::Parse { .. }), "{bad}: {err}");
        }
    }

    #[test]
    fn loading_indices_follow_the_covariance_order() {
        let dims = ModelDims {
            rank: 2,
            inputs: 2,
            outputs: 1,
        };
        for i in 0..dims.loadings() {
            assert_eq!(Loading::from_index(i, &dims).index(&dims), Some(i));
        }
        assert_eq!(Loading::I(1).index(&dims), Some(5));
        assert_eq!(Loading::W(1).index(&dims), None);
        assert_eq!(Loading::M(2).index(&dims), None);
    }

    #[test]
    fn get_and_set_act_on_the_model() {
        let mut m = model();
        let cov: ModelParam = "p2.cov(n2,m1)".parse().unwrap();
        cov.set(&mut m, -0.8).unwrap();
        assert_eq!(cov.get(&m).unwrap(), -0.8);
        let swapped: ModelParam = "p2.cov(m1,n2)".parse().unwrap();
        assert_eq!(swapped.get(&m).unwrap(), -0.8, "symmetric");
        assert_eq!(
            m.populations()[0].cov[(3, 0)],
            0.1,
            "other population untouched"
        );

        let frac: ModelParam = "p1.fraction".parse().unwrap();
        frac.set(&mut m, 0.5).unwrap();
        assert_eq!(frac.get(&m).unwrap(), 0.5);
        assert_eq!(
            "p2.fraction"
                .parse::<ModelParam>()
                .unwrap()
                .get(&m)
                .unwrap(),
            0.5
        );

        let gain: ModelParam = "p2.gain".parse().unwrap();
        assert_eq!(gain.get(&m), Err(ModelError::NotClamped { pop: 1 }));
        gain.set(&mut m, 0.0).unwrap();
        assert_eq!(gain.get(&m).unwrap(), 0.0);

        let mean: ModelParam = "p1.mean(I2)".parse().unwrap();
        mean.set(&mut m, 0.3).unwrap();
        assert_eq!(mean.get(&m).unwrap(), 0.3);

        for missing in ["p3.gain", "p1.cov(w2,m1)", "p1.mean(m3)"] {
            let p: ModelParam = missing.parse().unwrap();
            assert!(p.get(&m).is_err(), "{missing}");
            assert!(p.set(&mut m, 0.1).is_err(), "{missing}");
        }
    }
}
