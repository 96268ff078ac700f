//! Argument values shared by the commands that look at a phase plane (`render`, `analyze`):
//! the input (`--input`), the time model (`--dynamics`, `--alpha`) and the view (`--range`).
//! Each parses with [`FromStr`] (so clap uses it directly) and says what it expected.

use std::fmt;
use std::str::FromStr;

use crate::analysis::Rect;
use crate::network::ALPHA;
use crate::reduced::TimeModel;

/// `--input`: `none`, a channel name (`A`), or one value per channel (`1,0` or `0.5,0.2`).
#[derive(Debug, Clone, PartialEq)]
pub enum InputArg {
    None,
    /// One channel at 1, the others at 0.
    Channel(String),
    Values(Vec<f64>),
}

impl FromStr for InputArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let s = s.trim();
        if s.eq_ignore_ascii_case("none") {
            return Ok(InputArg::None);
        }
        let parts: Vec<&str> = s.split(',').map(str::trim).collect();
        let numbers: Vec<Option<f64>> = parts.iter().map(|p| p.parse::<f64>().ok()).collect();
        if numbers.iter().all(Option::is_some) {
            let values: Vec<f64> = numbers.into_iter().flatten().collect();
            if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
                return Err(format!("input values must be finite numbers, got {bad}"));
            }
            return Ok(InputArg::Values(values));
        }
        if parts.len() == 1 && s.chars().all(|c| c.is_alphanumeric() || c == '_') && !s.is_empty() {
            return Ok(InputArg::Channel(s.to_string()));
        }
        Err(format!(
            "`{s}` is not an input: expected `none`, a channel name (e.g. `A`) or one number per \
             channel separated by commas (e.g. `1,0`)"
        ))
    }
}

impl InputArg {
    /// The constant input `v`, one value per channel of a model whose channels are `names`
    /// (channel names match ignoring case).
    pub fn values(&self, names: &[String]) -> Result<Vec<f64>, String> {
        match self {
            InputArg::None => Ok(vec![0.0; names.len()]),
            InputArg::Channel(name) => {
                let s = names
                    .iter()
                    .position(|n| n.eq_ignore_ascii_case(name))
                    .ok_or_else(|| {
                        format!(
                            "no input channel `{name}`: this model's channels are {}",
                            if names.is_empty() {
                                "none".to_string()
                            } else {
                                names.join(", ")
                            }
                        )
                    })?;
                Ok((0..names.len())
                    .map(|i| f64::from(u8::from(i == s)))
                    .collect())
            }
            InputArg::Values(v) if v.len() == names.len() => Ok(v.clone()),
            InputArg::Values(v) => Err(format!(
                "--input has {} values, the model has {} input channels ({})",
                v.len(),
                names.len(),
                names.join(", ")
            )),
        }
    }
}

impl fmt::Display for InputArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InputArg::None => write!(f, "none"),
            InputArg::Channel(name) => write!(f, "{name}"),
            InputArg::Values(v) => {
                let parts: Vec<String> = v.iter().map(f64::to_string).collect();
                write!(f, "{}", parts.join(","))
            }
        }
    }
}

/// `--dynamics`: the ODE or the Euler map (MODEL.md 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DynamicsArg {
    Ode,
    Map,
}

impl FromStr for DynamicsArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "ode" => Ok(DynamicsArg::Ode),
            "map" => Ok(DynamicsArg::Map),
            _ => Err(format!(
                "`{s}` is not a time model: expected `ode` (tau dkappa/dt = F) or `map` (the \
                 trained networks' Euler map, with --alpha)"
            )),
        }
    }
}

impl fmt::Display for DynamicsArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            DynamicsArg::Ode => "ode",
            DynamicsArg::Map => "map",
        })
    }
}

impl DynamicsArg {
    /// The time model, with `--alpha` for the map (default: the trained networks' 0.2). An
    /// `--alpha` with the ODE is refused rather than ignored; the map needs `0 < alpha <= 1`.
    pub fn time_model(self, alpha: Option<f64>) -> Result<TimeModel, String> {
        match (self, alpha) {
            (DynamicsArg::Ode, None) => Ok(TimeModel::Ode),
            (DynamicsArg::Ode, Some(_)) => {
                Err("--alpha applies to --dynamics map only (the ODE has no step)".to_string())
            }
            (DynamicsArg::Map, None) => Ok(TimeModel::Map { alpha: ALPHA }),
            (DynamicsArg::Map, Some(a)) if a > 0.0 && a <= 1.0 => Ok(TimeModel::Map { alpha: a }),
            (DynamicsArg::Map, Some(a)) => Err(format!(
                "--alpha must be in (0, 1] (dt / tau; the trained networks use {ALPHA}), got {a}"
            )),
        }
    }
}

/// `--range k1min,k1max,k2min,k2max`: the view rectangle.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RangeArg(pub Rect);

impl FromStr for RangeArg {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let expected = "expected k1min,k1max,k2min,k2max, e.g. -1.5,1.5,-1.5,1.5";
        let values: Vec<f64> = s
            .split(',')
            .map(|p| p.trim().parse::<f64>())
            .collect::<Result<_, _>>()
            .map_err(|_| format!("`{s}` is not a range: {expected}"))?;
        let [x0, x1, y0, y1] = values[..] else {
            return Err(format!(
                "`{s}` has {} numbers, a range has 4: {expected}",
                values.len()
            ));
        };
        if !values.iter().all(|v| v.is_finite()) {
            return Err(format!("range values must be finite numbers, got `{s}`"));
        }
        if !(x0 < x1 && y0 < y1) {
            return Err(format!(
                "`{s}` is empty: each minimum must be below its maximum ({expected})"
            ));
        }
        Ok(RangeArg(Rect::new(x0, x1, y0, y1)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        vec!["A".into(), "B".into()]
    }

    #[test]
    fn inputs_parse_as_none_channel_or_values() {
        assert_eq!("none".parse::<InputArg>(), Ok(InputArg::None));
        assert_eq!("A".parse::<InputArg>(), Ok(InputArg::Channel("A".into())));
        assert_eq!(
            "1, 0.5".parse::<InputArg>(),
            Ok(InputArg::Values(vec![1.0, 0.5]))
        );
        assert!("nan,0".parse::<InputArg>().unwrap_err().contains("finite"));
        assert!(
            "1,B"
                .parse::<InputArg>()
                .unwrap_err()
                .contains("not an input")
        );
        assert!("".parse::<InputArg>().is_err());
        for text in ["none", "A", "1,0.5"] {
            assert_eq!(text.parse::<InputArg>().unwrap().to_string(), text);
        }
    }

    #[test]
    fn inputs_resolve_against_the_model_s_channels() {
        assert_eq!(InputArg::None.values(&names()), Ok(vec![0.0, 0.0]));
        assert_eq!(
            InputArg::Channel("b".into()).values(&names()),
            Ok(vec![0.0, 1.0])
        );
        let err = InputArg::Channel("C".into()).values(&names()).unwrap_err();
        assert!(err.contains("A, B"), "{err}");
        let err = InputArg::Values(vec![1.0]).values(&names()).unwrap_err();
        assert!(
            err.contains("1 values") && err.contains("2 input channels"),
            "{err}"
        );
    }

    #[test]
    fn dynamics_give_the_time_model_and_check_alpha() {
        let map: DynamicsArg = "MAP".parse().unwrap();
        assert_eq!(map.time_model(None), Ok(TimeModel::TRAINED_MAP));
        assert_eq!(map.time_model(Some(0.1)), Ok(TimeModel::Map { alpha: 0.1 }));
        assert!(map.time_model(Some(0.0)).is_err());
        assert!(map.time_model(Some(f64::NAN)).is_err());
        let ode: DynamicsArg = "ode".parse().unwrap();
        assert_eq!(ode.time_model(None), Ok(TimeModel::Ode));
        assert!(ode.time_model(Some(0.2)).unwrap_err().contains("map only"));
        assert!("euler".parse::<DynamicsArg>().unwrap_err().contains("ode"));
    }

    #[test]
    fn ranges_need_four_finite_ordered_numbers() {
        assert_eq!(
            "-1,1,-2,2".parse::<RangeArg>(),
            Ok(RangeArg(Rect::new(-1.0, 1.0, -2.0, 2.0)))
        );
        assert!(
            "-1,1,-2"
                .parse::<RangeArg>()
                .unwrap_err()
                .contains("3 numbers")
        );
        assert!(
            "1,-1,-2,2"
                .parse::<RangeArg>()
                .unwrap_err()
                .contains("empty")
        );
        assert!(
            "0,1,0,inf"
                .parse::<RangeArg>()
                .unwrap_err()
                .contains("finite")
        );
        assert!(
            "0,1,0,x"
                .parse::<RangeArg>()
                .unwrap_err()
                .contains("not a range")
        );
    }
}
