//! Opening what the app accepts, on a background [`Job`]: a network (`.pt`, `.npz`, JSON, or a
//! built-in example `builtin:<id>`), a population model, a session (with the network it names),
//! or a network drawn from a population model. Each becomes a whole new [`Document`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::app::document::{Document, Source, default_population};
use crate::app::session::{self, Session};
use crate::examples;
use crate::io::{self, ModelFile};
use crate::model::{Axes, Model, NetworkSource};
use crate::reduced::PopulationModel;

/// Opens `path` (told apart by content).
pub fn open(path: &Path) -> Result<Document, String> {
    if examples::from_path(path).is_some() {
        return open_network(NetworkSource::File {
            path: path.to_path_buf(),
        });
    }
    if session::is_session_file(path) {
        return session::load(path).and_then(restore);
    }
    match io::load_model(path).map_err(|e| e.to_string())? {
        ModelFile::Network(file) => {
            let source = NetworkSource::File {
                path: path.to_path_buf(),
            };
            let model = Model::from_network(file.network, Axes::Svd, source)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            Ok(network_document(Arc::new(model)))
        }
        ModelFile::Population(model) => Ok(Document::population(model, &file_label(path))),
    }
}

/// Opens (or draws) a network and makes a document of it.
pub fn open_network(source: NetworkSource) -> Result<Document, String> {
    source.open().map(|m| network_document(Arc::new(m)))
}

/// The document of a network: a drawn network keeps the model it was drawn from as its
/// population model (its mean field is on the same axes); a file gets the default preset.
fn network_document(model: Arc<Model>) -> Document {
    let drawn = model.network().and_then(|n| match &n.source {
        NetworkSource::Drawn { model, label, .. } => Some((model.clone(), label.clone())),
        NetworkSource::File { .. } => None,
    });
    let (population, label): (PopulationModel, String) = drawn.unwrap_or_else(default_population);
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
