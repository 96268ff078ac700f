//! Zip containers, shared by the `.pt` zip layout and `.npz` (MODEL.md 7): both are zip archives of
//! named records, stored or deflate-compressed.
//!
//! Entry sizes declared in a zip header can lie, and deflate can expand a few kilobytes into
//! gigabytes, so every read takes a byte limit and grows its buffer only as data really arrives.

use std::io::{Cursor, Read};

use zip::ZipArchive;

use super::tensor::shown;

/// A zip archive read from memory.
pub(crate) struct Zip<'a> {
    archive: ZipArchive<Cursor<&'a [u8]>>,
    /// Size of the whole archive: no stored entry can hold more.
    len: u64,
}

/// How much of an entry to read.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Want {
    /// The whole entry, which must not be larger than this many bytes.
    AtMost(u64),
    /// Exactly this many bytes from the start of the entry (a storage may have trailing bytes).
    Prefix(u64),
}

impl<'a> Zip<'a> {
    /// Opens the zip archive in `bytes` (reads its central directory).
    pub fn open(bytes: &'a [u8]) -> Result<Self, String> {
        let archive = ZipArchive::new(Cursor::new(bytes))
            .map_err(|e| format!("not a readable zip archive: {e}"))?;
        Ok(Zip {
            archive,
            len: bytes.len() as u64,
        })
    }

    /// The names of the entries, in archive order.
    pub fn names(&self) -> Result<Vec<String>, String> {
        (0..self.archive.len())
            .map(|i| match self.archive.name_for_index(i) {
                Some(Ok(name)) => Ok(name.into_owned()),
                Some(Err(e)) => Err(format!("zip entry {i} has an unreadable name: {e}")),
                None => Err(format!("zip entry {i} is missing")),
            })
            .collect()
    }

    /// Reads entry `name` as `want` says.
    ///
    /// The buffer is never reserved beyond the archive's own size (only deflate can produce more,
    /// and then the buffer grows with the real data), and the entry's real length is checked, not
    /// the length its header declares.
    pub fn read(&mut self, name: &str, want: Want) -> Result<Vec<u8>, String> {
        let shown_name = shown(name);
        let entry = self
            .archive
            .by_name(name)
            .map_err(|e| format!("cannot open zip entry `{shown_name}`: {e}"))?;
        let declared = entry.size();
        // Read one byte past the limit: for `AtMost` to notice an entry longer than allowed, for
        // `Prefix` to reach the end of an entry of exactly the wanted size, where the CRC is checked.
        let read_limit = match want {
            Want::AtMost(max) if declared > max => {
                return Err(format!(
                    "zip entry `{shown_name}` is {declared} bytes, more than the {max} we accept"
                ));
            }
            Want::AtMost(max) => max.saturating_add(1),
            Want::Prefix(n) => n.saturating_add(1),
        };
        let capacity = usize::try_from(read_limit.min(declared).min(self.len)).unwrap_or(0);
        let mut bytes: Vec<u8> = Vec::with_capacity(capacity);
        entry
            .take(read_limit)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read zip entry `{shown_name}`: {e}"))?;
        let got = bytes.len() as u64;
        match want {
            Want::AtMost(max) if got > max => Err(format!(
                "zip entry `{shown_name}` holds more than the {max} bytes we accept"
            )),
            Want::Prefix(n) if got < n => Err(format!(
                "zip entry `{shown_name}` holds {got} bytes, fewer than the {n} needed"
            )),
            Want::Prefix(n) => {
                bytes.truncate(usize::try_from(n).unwrap_or(usize::MAX));
                Ok(bytes)
            }
            Want::AtMost(_) => Ok(bytes),
        }
    }
}
