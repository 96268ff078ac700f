//! Built-in example networks, next to the population-model presets of
//! [`crate::reduced::presets`]: a network trained by this project (embedded from
//! `assets/networks/`), and a network drawn from the published DMS mixture (MODEL.md 5), made on
//! demand from the embedded preset so the binary does not carry its 4096 x 9 loadings.
//!
//! They are named by id everywhere a file is accepted as `builtin:<id>` (the app's sessions, the
//! CLI's `--preset`), so a session on an example reopens on any machine.

use std::path::Path;

use crate::fit::resample_network;
use crate::io;
use crate::network::Network;
use crate::reduced::presets;

/// The path prefix that names an example instead of a file.
pub const PREFIX: &str = "builtin:";

/// A built-in network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Example {
    pub id: &'static str,
    pub name: &'static str,
    pub description: &'static str,
    source: ExampleSource,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExampleSource {
    /// A network file's text, embedded.
    Json(&'static str),
    /// `resample --n neurons --seed seed` of an embedded preset.
    Resampled {
        preset: &'static str,
        neurons: usize,
        seed: u64,
    },
}

/// Every example, in menu order.
pub const ALL: [Example; 2] = [
    Example {
        id: "dms_rank2_n512",
        name: "DMS network trained here (N = 512)",
        description: "Rank 2, trained by `lowrank-explorer train --task dms --recipe fast --n 512 --rank 2 --seed 2` \
                      (accuracy 1.000; assets/networks/README.md).",
        source: ExampleSource::Json(include_str!("../assets/networks/dms_rank2_n512.json")),
    },
    Example {
        id: "dms_mixture_n4096",
        name: "DMS network drawn from the published mixture (N = 4096)",
        description: "`lowrank-explorer resample assets/models/dms_mixture_2pop.json --n 4096 --seed 1`: \
                      the poster's two-population network at full size (accuracy 1.000). On its \
                      SVD axes; “Fit populations” with P = 2 recovers the mixture.",
        source: ExampleSource::Resampled {
            preset: "dms_mixture_2pop",
            neurons: 4096,
            seed: 1,
        },
    },
];

impl Example {
    /// `builtin:<id>`, the example's path in sessions.
    pub fn path(&self) -> String {
        format!("{PREFIX}{}", self.id)
    }

    /// Builds the network (parsing or resampling: a few milliseconds to a few tens).
    pub fn network(&self) -> Result<Network, String> {
        match self.source {
            ExampleSource::Json(text) => {
                io::parse_network_bytes(text.as_bytes(), Path::new(&self.path()))
                    .map(|f| f.network)
                    .map_err(|e| e.to_string())
            }
            ExampleSource::Resampled {
                preset,
                neurons,
                seed,
            } => {
                let model = presets::get(preset)
                    .ok_or_else(|| format!("{}: no preset {preset}", self.path()))?
                    .model;
                resample_network(&model, neurons, seed).map_err(|e| format!("{}: {e}", self.path()))
            }
        }
    }
}

/// The example `id`, if there is one.
pub fn get(id: &str) -> Option<Example> {
    ALL.iter().copied().find(|e| e.id == id)
}

/// The example a path names (`builtin:<id>`), if it names one; `Err` for an unknown id.
pub fn from_path(path: &Path) -> Option<Result<Example, String>> {
    let id = path.to_str()?.strip_prefix(PREFIX)?;
    Some(get(id).ok_or_else(|| {
        format!(
            "no built-in network {id:?}; the built-in networks are: {}",
            ids().join(", ")
        )
    }))
}

/// Identifiers of all examples.
pub fn ids() -> Vec<&'static str> {
    ALL.iter().map(|e| e.id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::task::dms;

    #[test]
    fn every_example_builds_with_the_dms_shape() {
        for e in ALL {
            let net = e.network().unwrap_or_else(|err| panic!("{}: {err}", e.id));
            let d = net.dims();
            assert_eq!(
                (d.rank, d.inputs, d.outputs),
                (2, dms::INPUTS, 1),
                "{}",
                e.id
            );
            assert_eq!(
                from_path(Path::new(&e.path())).unwrap().unwrap(),
                e,
                "path round trip"
            );
        }
        assert_eq!(
            get("dms_mixture_n4096")
                .unwrap()
                .network()
                .unwrap()
                .dims()
                .neurons,
            4096
        );
        assert!(from_path(Path::new("builtin:nope")).unwrap().is_err());
        assert!(from_path(Path::new("assets/networks/dms_rank2_n512.json")).is_none());
    }

    #[test]
    fn every_example_solves_dms_as_its_description_says() {
        // 200 fresh noisy trials at the `eval` defaults (MODEL.md 6); the descriptions say 1.000 on
        // 1000 of them, so 0.97 leaves room for the smaller sample only.
        let kind = crate::task::TaskKind::Dms(dms::DmsConfig::default());
        for e in ALL {
            let net = e.network().unwrap();
            let ev = crate::train::evaluate::evaluate(
                &net,
                &kind,
                200,
                crate::network::PUBLISHED_NOISE_STD,
                0,
            );
            assert!(ev.accuracy >= 0.97, "{}: accuracy {}", e.id, ev.accuracy);
        }
    }
}
