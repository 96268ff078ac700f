//! Input channels by name: `none`, a channel name (`A`), a 1-based number, or values, resolved
//! against a [`Model`]'s channels the same way on the command line and in the explorer.

use std::str::FromStr;

use super::Model;

/// An input named on the command line or in the app: `none`, a channel name (`A`), or values.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub enum InputSpec {
    None,
    Named(String),
    Values(Vec<f64>),
}

impl FromStr for InputSpec {
    type Err = String;

    /// `none`, a channel name such as `A`, or comma-separated finite values such as `0.5,0`.
    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("none") {
            return Ok(InputSpec::None);
        }
        if s.contains(',') || s.parse::<f64>().is_ok() {
            let values = parse_finite_list(s)?;
            return Ok(InputSpec::Values(values));
        }
        if s.is_empty() {
            return Err("empty input: use none, a channel name (A, B) or values like 1,0".into());
        }
        Ok(InputSpec::Named(s.to_string()))
    }
}

impl Model {
    /// The input vector an [`InputSpec`] names for this model (a named channel at 1).
    pub fn input_vector(&self, spec: &InputSpec) -> Result<Vec<f64>, String> {
        let names = self.input_names();
        let s = names.len();
        match spec {
            InputSpec::None => Ok(vec![0.0; s]),
            InputSpec::Named(name) => {
                let k = self.channel(name)?;
                Ok((0..s).map(|i| if i == k { 1.0 } else { 0.0 }).collect())
            }
            InputSpec::Values(v) if v.len() == s => Ok(v.clone()),
            InputSpec::Values(v) => Err(format!(
                "the input has {} values but the model has {s} input channels ({})",
                v.len(),
                names.join(", ")
            )),
        }
    }

    /// The index of the input channel called `name` (case-insensitive), or numbered `1..=S`.
    pub fn channel(&self, name: &str) -> Result<usize, String> {
        let names = self.input_names();
        names
            .iter()
            .position(|n| n.eq_ignore_ascii_case(name))
            .or_else(|| {
                name.parse::<usize>()
                    .ok()
                    .filter(|k| (1..=names.len()).contains(k))
                    .map(|k| k - 1)
            })
            .ok_or_else(|| {
                format!(
                    "no input channel {name:?}; the channels are {} (or 1..={})",
                    names.join(", "),
                    names.len()
                )
            })
    }
}

/// Comma-separated finite numbers (spaces allowed).
pub fn parse_finite_list(s: &str) -> Result<Vec<f64>, String> {
    s.split(',')
        .map(|part| {
            let part = part.trim();
            match part.parse::<f64>() {
                Ok(x) if x.is_finite() => Ok(x),
                Ok(x) => Err(format!("{x} is not a finite number")),
                Err(_) => Err(format!("{part:?} is not a number")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Axes;

    #[test]
    fn inputs_parse_and_resolve_against_the_model() {
        assert_eq!("none".parse::<InputSpec>(), Ok(InputSpec::None));
        assert_eq!("A".parse::<InputSpec>(), Ok(InputSpec::Named("A".into())));
        assert_eq!(
            "0.5, -1".parse::<InputSpec>(),
            Ok(InputSpec::Values(vec![0.5, -1.0]))
        );
        assert!(
            "1,nan"
                .parse::<InputSpec>()
                .unwrap_err()
                .contains("not a finite")
        );
        assert!("1,x".parse::<InputSpec>().unwrap_err().contains("\"x\""));
        let model = Model::preset("dms_mixture_2pop").unwrap();
        assert_eq!(
            model.input_vector(&InputSpec::Named("b".into())),
            Ok(vec![0.0, 1.0])
        );
        assert_eq!(
            model.input_vector(&InputSpec::Named("2".into())),
            Ok(vec![0.0, 1.0])
        );
        assert!(
            model
                .input_vector(&InputSpec::Named("C".into()))
                .unwrap_err()
                .contains("A, B")
        );
        assert!(model.input_vector(&InputSpec::Values(vec![1.0])).is_err());
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/lowrank_n64_r2.pt");
        let net = Model::load(&path, Axes::Svd).unwrap();
        assert_eq!(net.input_names(), vec!["A", "B"]);
        assert_eq!(
            net.input_vector(&InputSpec::Named("A".into())),
            Ok(vec![1.0, 0.0])
        );
    }
}
