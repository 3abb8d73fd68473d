//! Writing records to the archive's file: each call whole and flushed
//! before the next, a `.warc`'s blocks written from where they lie.

use std::fs::File;
use std::io::{self, Write};

/// The file being written, and where in it the next record goes.
pub(super) struct Out {
    pub file: File,
    /// Bytes written so far: the offset of the next record.
    pub offset: u64,
    /// The file's name, as the index gives it.
    pub name: String,
    /// The file's number in the series (0: the path given).
    pub number: u32,
}

/// Records as they go to the file.
pub(super) enum Wire<'r> {
    /// Gzip members, one a record, in one buffer.
    Bytes(Vec<u8>),
    /// Each record's header lines beside its block, borrowed: written with
    /// one `writev`, the block never copied (a page is most of a record).
    Parts {
        heads: Vec<String>,
        blocks: Vec<[&'r [u8]; 2]>,
    },
}

/// What ends every record.
pub(super) const RECORD_END: &[u8] = b"\r\n\r\n";

/// Appends `wire` to the current file and flushes it; returns where it
/// starts.
pub(super) fn write_out(out: &mut Out, wire: &Wire<'_>) -> io::Result<u64> {
    let written = match wire {
        Wire::Bytes(bytes) => {
            out.file.write_all(bytes)?;
            bytes.len() as u64
        }
        Wire::Parts { heads, blocks } => {
            let mut slices: Vec<io::IoSlice<'_>> = heads
                .iter()
                .zip(blocks)
                .flat_map(|(h, b)| [h.as_bytes(), b[0], b[1], RECORD_END].map(io::IoSlice::new))
                .collect();
            let mut rest = &mut slices[..];
            let mut written = 0u64;
            while !rest.is_empty() {
                match out.file.write_vectored(rest) {
                    Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                    Ok(n) => {
                        written += n as u64;
                        io::IoSlice::advance_slices(&mut rest, n);
                    }
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            written
        }
    };
    out.file.flush()?;
    let base = out.offset;
    out.offset += written;
    Ok(base)
}
