//! Zip containers, shared by the `.pt` zip layout and `.npz` (MODEL.md 7): both are zip archives of
//! named records, stored or deflate-compressed. [`write_stored`] writes them.
//!
//! Entry sizes declared in a zip header can lie, and deflate can expand a few kilobytes into
//! gigabytes, so every read takes a byte limit, is checked against the memory budget
//! ([`crate::budget`]) before it starts, stops the inflater at the size the header declares, and
//! grows its buffer only as data really arrives.

use std::io::{Cursor, Read, Write};

use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, ZipArchive, ZipWriter};

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
    /// The first bytes of the entry, at most this many (fewer if the entry is shorter): enough
    /// to read a header before deciding how much more to inflate.
    Head(u64),
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
    /// What is read is at most what the entry's header declares (the inflater is stopped one
    /// byte past it, and an entry longer than declared is an error), the bytes that will be held
    /// are checked against the memory budget first, and the buffer is never reserved beyond the
    /// archive's own size (only deflate can produce more, and then the buffer grows with the real
    /// data).
    pub fn read(&mut self, name: &str, want: Want) -> Result<Vec<u8>, String> {
        let shown_name = shown(name);
        let entry = self
            .archive
            .by_name(name)
            .map_err(|e| format!("cannot open zip entry `{shown_name}`: {e}"))?;
        let declared = entry.size();
        let wanted = match want {
            Want::AtMost(max) if declared > max => {
                return Err(format!(
                    "zip entry `{shown_name}` is {declared} bytes, more than the {max} we accept"
                ));
            }
            Want::Prefix(n) if declared < n => {
                return Err(format!(
                    "zip entry `{shown_name}` is {declared} bytes, fewer than the {n} needed"
                ));
            }
            Want::AtMost(_) => declared,
            Want::Prefix(n) | Want::Head(n) => n.min(declared),
        };
        crate::budget::check(
            format!("inflating zip entry `{shown_name}`"),
            wanted,
            "the file holds more data than the memory budget allows",
        )
        .map_err(|e| e.to_string())?;
        // Read one byte past what is wanted: to notice an entry longer than its header says, and
        // to reach the end of an entry of exactly the wanted size, where the CRC is checked.
        let mut bytes: Vec<u8> =
            Vec::with_capacity(usize::try_from(wanted.min(self.len)).unwrap_or(0));
        entry
            .take(wanted.saturating_add(1))
            .read_to_end(&mut bytes)
            .map_err(|e| format!("cannot read zip entry `{shown_name}`: {e}"))?;
        let got = bytes.len() as u64;
        if got > declared {
            return Err(format!(
                "zip entry `{shown_name}` holds more than the {declared} bytes its header declares"
            ));
        }
        if got < wanted {
            return Err(format!(
                "zip entry `{shown_name}` holds {got} bytes, fewer than the {declared} its header declares"
            ));
        }
        bytes.truncate(usize::try_from(wanted).unwrap_or(usize::MAX));
        Ok(bytes)
    }
}

/// A zip archive of `entries` (name, bytes), in order, every entry stored uncompressed with its
/// data starting at a multiple of `align` bytes from the start of the file.
///
/// Storing is what `torch.save` and `np.savez` do, and the alignment is torch's (64 bytes, so
/// that `torch.load(mmap=True)` can map each storage in place): the zip crate pads the local
/// header with an extra field to get there. Timestamps are the zip epoch (1980-01-01), so the
/// same content gives the same bytes. An entry of 4 GiB or more gets zip64 sizes.
pub(crate) fn write_stored<'e>(
    entries: impl IntoIterator<Item = (String, &'e [u8])>,
    align: u16,
) -> Result<Vec<u8>, String> {
    let fail = |e: zip::result::ZipError| format!("cannot build the zip archive: {e}");
    let mut zip = ZipWriter::new(Cursor::new(Vec::new()));
    for (name, bytes) in entries {
        let options = SimpleFileOptions::default()
            .compression_method(CompressionMethod::Stored)
            .with_alignment(align)
            .large_file(bytes.len() as u64 >= u64::from(u32::MAX));
        zip.start_file(&name, options).map_err(fail)?;
        zip.write_all(bytes)
            .map_err(|e| format!("cannot write zip entry `{}`: {e}", shown(&name)))?;
    }
    Ok(zip.finish().map_err(fail)?.into_inner())
}
