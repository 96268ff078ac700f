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
    /// The task it solves (the tests check that it does).
    pub task: ExampleTask,
    source: ExampleSource,
}

/// The task an example network was trained on or drawn for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExampleTask {
    /// Delayed match-to-sample (MODEL.md 6), 2 inputs.
    Dms,
    /// The context-dependent decision task (MODEL.md 6), 4 inputs.
    Ctx,
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
pub const ALL: [Example; 4] = [
    Example {
        id: "dms_rank2_n512",
        name: "DMS network trained here (N = 512)",
        description: "Rank 2, trained by `lowrank-explorer train --task dms --recipe fast --n 512 --rank 2 --seed 2` \
                      (accuracy 1.000; assets/networks/README.md).",
        task: ExampleTask::Dms,
        source: ExampleSource::Json(include_str!("../assets/networks/dms_rank2_n512.json")),
    },
    Example {
        id: "dms_mixture_n4096",
        name: "DMS network drawn from the published mixture (N = 4096)",
        description: "`lowrank-explorer resample assets/models/dms_mixture_2pop.json --n 4096 --seed 1`: \
                      the poster's two-population network at full size (accuracy 1.000). On its \
                      SVD axes; “Fit populations” with P = 2 recovers the mixture.",
        task: ExampleTask::Dms,
        source: ExampleSource::Resampled {
            preset: "dms_mixture_2pop",
            neurons: 4096,
            seed: 1,
        },
    },
    Example {
        id: "ctx_rank1_n512",
        name: "Context-dependent decision, rank 1, trained here (N = 512)",
        description: "Rank 1, trained by `lowrank-explorer train --task ctx --recipe fast --n 512 --rank 1 --seed 0` \
                      (accuracy 1.000; assets/networks/README.md). Opens on the plane (v_A, κ) with \
                      its phase line; choose the channel of v under “Plane”.",
        task: ExampleTask::Ctx,
        source: ExampleSource::Json(include_str!("../assets/networks/ctx_rank1_n512.json")),
    },
    Example {
        id: "dms_mixture_rank3_n4096",
        name: "DMS network with a decoupled third direction, rank 3 (N = 4096)",
        description: "`lowrank-explorer resample assets/models/dms_mixture_rank3.json --n 4096 --seed 4`: a \
                      rank-3 network whose third direction only decays (accuracy 1.000; draws vary, \
                      seeds 1-5 gave 0.64, 0.93, 0.77, 1.00, 1.00). Shown as a slice through a \
                      chosen fixed point, with fixed points and cycles found in three dimensions.",
        task: ExampleTask::Dms,
        source: ExampleSource::Resampled {
            preset: "dms_mixture_rank3",
            neurons: 4096,
            seed: 4,
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
    fn every_example_builds_with_the_shape_of_its_task() {
        let ranks: Vec<usize> = ALL
            .iter()
            .map(|e| e.network().unwrap().dims().rank)
            .collect();
        assert_eq!(ranks, [2, 2, 1, 3], "a rank-1 and a rank-3 example");
        for e in ALL {
            let net = e.network().unwrap_or_else(|err| panic!("{}: {err}", e.id));
            let d = net.dims();
            let inputs = match e.task {
                ExampleTask::Dms => dms::INPUTS,
                ExampleTask::Ctx => crate::task::ctx::INPUTS,
            };
            assert_eq!((d.inputs, d.outputs), (inputs, 1), "{}", e.id);
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
    fn every_example_solves_its_task_as_its_description_says() {
        // 200 fresh noisy trials at the `eval` defaults (MODEL.md 6); the descriptions say 1.000 on
        // 1000 of them, so 0.97 leaves room for the smaller sample only.
        for e in ALL {
            let kind = match e.task {
                ExampleTask::Dms => crate::task::TaskKind::Dms(dms::DmsConfig::default()),
                ExampleTask::Ctx => crate::task::TaskKind::Ctx(Default::default()),
            };
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
