//! Opening what the app accepts, on a background [`Job`]: a network (`.pt`, `.npz`, JSON, or a
//! built-in example `builtin:<id>`), a population model, a session (with the network it names),
//! or a network drawn from a population model. Each becomes a whole new [`Document`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::app::document::{Document, Source, default_population};
use crate::app::session::{self, Session};
use crate::examples;
use crate::io::{self, ModelFile, ReadOptions, Scaling};
use crate::model::{Model, NetworkSource};
use crate::reduced::PopulationModel;

/// How the open dialog reads a network file (MODEL.md 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenChoice {
    /// `Some(Scaling::None)` for the papers' `OptimizedLowRankRNN` (no `1/N`); `None`: the
    /// file's own convention, `1/N` unless it says otherwise.
    pub scaling: Option<Scaling>,
    /// The rank a full-rank file (`wrec`) is truncated to.
    pub full_rank: usize,
}

impl Default for OpenChoice {
    fn default() -> Self {
        Self {
            scaling: None,
            full_rank: 2,
        }
    }
}

/// Opens `path` (told apart by content), a network file read as `choice` says.
pub fn open(path: &Path, choice: &OpenChoice) -> Result<Document, String> {
    if examples::from_path(path).is_some() {
        return open_network(NetworkSource::file(path.to_path_buf()));
    }
    if session::is_session_file(path) {
        return session::load(path).and_then(restore);
    }
    let mut options = ReadOptions {
        scaling: choice.scaling,
        ..ReadOptions::default()
    };
    let mut opened = io::open_model(path, &options).map_err(|e| e.to_string())?;
    if let ModelFile::FullRank(_) = opened.model {
        // The plane needs a low-rank network: the truncation, said in a note (and kept in the
        // source, so a session opens the same network again).
        options.truncate = Some(choice.full_rank);
        opened = io::open_model(path, &options).map_err(|e| e.to_string())?;
    }
    if let ModelFile::Population(model) = opened.model {
        return Ok(Document::population(model, &file_label(path)));
    }
    open_network(NetworkSource::File {
        path: path.to_path_buf(),
        options,
    })
}

/// Opens (or draws) a network and makes a document of it.
pub fn open_network(source: NetworkSource) -> Result<Document, String> {
    source.open().map(|m| network_document(Arc::new(m)))
}

/// The document of a network: a drawn network keeps the model it was drawn from as its
/// population model (its mean field is on the same axes), a `SupportLowRankRNN` file the one it
/// parametrises (MODEL.md 7); any other file gets the default preset.
fn network_document(model: Arc<Model>) -> Document {
    let own = model.network().and_then(|n| match &n.source {
        NetworkSource::Drawn { model, label, .. } => Some((model.clone(), label.clone())),
        NetworkSource::File { .. } => n
            .file_populations
            .clone()
            .map(|p| (p, format!("the supports of {}", n.source.name()))),
    });
    let (population, label): (PopulationModel, String) = own.unwrap_or_else(default_population);
    Document::network(model, population, &label)
}

/// A session's document, its network opened again from its source.
pub fn restore(session: Session) -> Result<Document, String> {
    let network = match &session.source {
        Source::Network { network } => Some(Arc::new(network.open()?)),
        Source::Population => None,
    };
    Ok(Document::restored(
        session.source,
        network,
        session.edits,
        session.view,
    ))
}

/// A file's name for titles.
fn file_label(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// The paths of the built-in example networks, for the Presets menu.
pub fn example_paths() -> Vec<(PathBuf, &'static str, &'static str)> {
    examples::ALL
        .iter()
        .map(|e| (PathBuf::from(e.path()), e.name, e.description))
        .collect()
}
