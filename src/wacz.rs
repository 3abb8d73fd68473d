//! `--wacz FILE`: the archive, its index and its pages in one WACZ 1.1.1
//! package (a ZIP) that replay tools (ReplayWeb.page, pywb) open directly.
//!
//! The ZIP is written here, stored (not deflated: WACZ readers read the
//! WARCs by range, which a stored entry allows), without ZIP64: a package
//! over 4 GiB is refused with a message rather than written wrong.

use crate::http::hash_text;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Seek, Write};
use std::path::Path;
use std::time::SystemTime;

/// What goes into a package.
pub struct Contents<'a> {
    /// The WARC files, stored as `archive/NAME`, in order.
    pub warcs: &'a [std::path::PathBuf],
    /// `indexes/index.cdx` (CDXJ lines; the name pywb and the WACZ
    /// validator look for).
    pub cdxj: &'a str,
    /// `pages/pages.jsonl`, without its header line.
    pub pages: &'a str,
}

/// Writes the package at `path`.
///
/// # Errors
/// A file cannot be read or written, or the package would pass 4 GiB.
pub fn write(path: &Path, contents: &Contents<'_>) -> io::Result<()> {
    let name_of = |p: &Path| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "data.warc.gz".into())
    };
    let name = contents
        .warcs
        .first()
        .map_or_else(|| "data.warc.gz".into(), |p| name_of(p));
    let mut pages = String::from(
        "{\"format\": \"json-pages-1.0\", \"id\": \"pages\", \"title\": \"All Pages\"}\n",
    );
    pages.push_str(contents.pages);
    let mut zip = Zip::new(BufWriter::new(File::create(path)?));
    let mut resources = Vec::new();
    for warc in contents.warcs {
        let file = name_of(warc);
        let warc_path = format!("archive/{file}");
        let (hash, bytes) = zip.add_file(&warc_path, warc)?;
        resources.push((file, warc_path, hash, bytes));
    }
    for (file, text) in [
        ("indexes/index.cdx", contents.cdxj),
        ("pages/pages.jsonl", pages.as_str()),
    ] {
        let (hash, bytes) = zip.add_bytes(file, text.as_bytes())?;
        let short = file.rsplit('/').next().unwrap_or(file).to_owned();
        resources.push((short, file.to_owned(), hash, bytes));
    }
    let created = humantime::format_rfc3339_micros(SystemTime::now()).to_string();
    let package = serde_json::json!({
        "profile": "data-package",
        "wacz_version": "1.1.1",
        "title": name,
        "created": created,
        "software": format!("trawl/{}", env!("CARGO_PKG_VERSION")),
        "resources": resources.iter().map(|(n, p, h, b)| serde_json::json!({
            "name": n, "path": p, "hash": h, "bytes": b,
        })).collect::<Vec<_>>(),
    });
    let package = serde_json::to_vec_pretty(&package).map_err(io::Error::other)?;
    let (hash, _) = zip.add_bytes("datapackage.json", &package)?;
    let digest = serde_json::json!({"path": "datapackage.json", "hash": hash});
    zip.add_bytes(
        "datapackage-digest.json",
        &serde_json::to_vec_pretty(&digest).map_err(io::Error::other)?,
    )?;
    zip.finish()
}

/// A ZIP of stored entries.
struct Zip<W: Write + Seek> {
    out: W,
    offset: u64,
    central: Vec<u8>,
    entries: u16,
    /// DOS time and date of every entry.
    stamp: (u16, u16),
}

impl<W: Write + Seek> Zip<W> {
    fn new(out: W) -> Zip<W> {
        Zip {
            out,
            offset: 0,
            central: Vec::new(),
            entries: 0,
            stamp: dos_stamp(SystemTime::now()),
        }
    }

    /// Adds `bytes` as `name`; returns its `sha256:hex` and length.
    fn add_bytes(&mut self, name: &str, bytes: &[u8]) -> io::Result<(String, u64)> {
        let mut crc = flate2::Crc::new();
        crc.update(bytes);
        self.header(name, crc.sum(), bytes.len() as u64)?;
        self.out.write_all(bytes)?;
        self.offset += bytes.len() as u64;
        Ok((
            hash_text(Sha256::new_with_prefix(bytes)),
            bytes.len() as u64,
        ))
    }

    /// Adds the file at `path` as `name`, read twice (its CRC goes
    /// before it); returns its `sha256:hex` and length.
    fn add_file(&mut self, name: &str, path: &Path) -> io::Result<(String, u64)> {
        let mut crc = flate2::Crc::new();
        let mut sha = Sha256::new();
        let mut len = 0u64;
        let mut buf = vec![0; 256 * 1024];
        let mut file = BufReader::new(File::open(path)?);
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            crc.update(&buf[..n]);
            sha.update(&buf[..n]);
            len += n as u64;
        }
        self.header(name, crc.sum(), len)?;
        let copied = io::copy(&mut File::open(path)?.take(len), &mut self.out)?;
        if copied != len {
            return Err(io::Error::other(format!(
                "{} changed while it was packed",
                path.display()
            )));
        }
        self.offset += len;
        Ok((hash_text(sha), len))
    }

    /// Writes a local header and notes the central directory's entry.
    fn header(&mut self, name: &str, crc: u32, len: u64) -> io::Result<()> {
        let too_big = || {
            io::Error::other("the package would pass 4 GiB, which needs ZIP64 (not written yet)")
        };
        let size = u32::try_from(len).map_err(|_| too_big())?;
        let offset = u32::try_from(self.offset).map_err(|_| too_big())?;
        let name_len = u16::try_from(name.len()).map_err(|_| too_big())?;
        let (time, date) = self.stamp;
        let mut local = Vec::with_capacity(30 + name.len());
        local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        local.extend_from_slice(&20u16.to_le_bytes()); // version needed
        local.extend_from_slice(&0x0800u16.to_le_bytes()); // UTF-8 names
        local.extend_from_slice(&0u16.to_le_bytes()); // stored
        local.extend_from_slice(&time.to_le_bytes());
        local.extend_from_slice(&date.to_le_bytes());
        local.extend_from_slice(&crc.to_le_bytes());
        local.extend_from_slice(&size.to_le_bytes());
        local.extend_from_slice(&size.to_le_bytes());
        local.extend_from_slice(&name_len.to_le_bytes());
        local.extend_from_slice(&0u16.to_le_bytes()); // no extra field
        local.extend_from_slice(name.as_bytes());
        self.out.write_all(&local)?;
        let c = &mut self.central;
        c.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        c.extend_from_slice(&20u16.to_le_bytes()); // made by
        c.extend_from_slice(&20u16.to_le_bytes()); // needed
        c.extend_from_slice(&0x0800u16.to_le_bytes());
        c.extend_from_slice(&0u16.to_le_bytes());
        c.extend_from_slice(&time.to_le_bytes());
        c.extend_from_slice(&date.to_le_bytes());
        c.extend_from_slice(&crc.to_le_bytes());
        c.extend_from_slice(&size.to_le_bytes());
        c.extend_from_slice(&size.to_le_bytes());
        c.extend_from_slice(&name_len.to_le_bytes());
        c.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attrs
        c.extend_from_slice(&0u32.to_le_bytes()); // external attrs
        c.extend_from_slice(&offset.to_le_bytes());
        c.extend_from_slice(name.as_bytes());
        self.offset += local.len() as u64;
        self.entries += 1;
        Ok(())
    }

    /// Writes the central directory and its end record.
    fn finish(mut self) -> io::Result<()> {
        let too_big = || {
            io::Error::other("the package would pass 4 GiB, which needs ZIP64 (not written yet)")
        };
        let start = u32::try_from(self.offset).map_err(|_| too_big())?;
        let size = u32::try_from(self.central.len()).map_err(|_| too_big())?;
        self.out.write_all(&self.central)?;
        let mut end = Vec::with_capacity(22);
        end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        end.extend_from_slice(&[0; 4]); // disk numbers
        end.extend_from_slice(&self.entries.to_le_bytes());
        end.extend_from_slice(&self.entries.to_le_bytes());
        end.extend_from_slice(&size.to_le_bytes());
        end.extend_from_slice(&start.to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes()); // comment
        self.out.write_all(&end)?;
        self.out.flush()
    }
}

/// A time as MS-DOS writes it in a ZIP entry (UTC, two-second steps).
fn dos_stamp(at: SystemTime) -> (u16, u16) {
    let date = humantime::format_rfc3339_seconds(at).to_string();
    let num = |from: usize, to: usize| {
        date.get(from..to)
            .and_then(|s| s.parse::<u16>().ok())
            .unwrap_or(0)
    };
    let (y, mo, d) = (num(0, 4).max(1980), num(5, 7), num(8, 10));
    let (h, mi, s) = (num(11, 13), num(14, 16), num(17, 19));
    (
        (h << 11) | (mi << 5) | (s / 2),
        ((y - 1980) << 9) | (mo << 5) | d,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_is_a_zip_that_unzip_lists() {
        let dir = tempfile::tempdir().unwrap();
        let warc = dir.path().join("data.warc.gz");
        std::fs::write(&warc, b"not really a warc").unwrap();
        let wacz = dir.path().join("a.wacz");
        write(
            &wacz,
            &Contents {
                warcs: &[warc],
                cdxj: "com,example)/ 20261207000000 {}\n",
                pages: "{\"url\": \"https://example.com/\"}\n",
            },
        )
        .unwrap();
        let bytes = std::fs::read(&wacz).unwrap();
        assert!(bytes.starts_with(b"PK\x03\x04"));
        assert_eq!(&bytes[bytes.len() - 22..bytes.len() - 18], b"PK\x05\x06");
        let Ok(out) = std::process::Command::new("unzip")
            .arg("-t")
            .arg(&wacz)
            .output()
        else {
            return;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{text}");
        for name in [
            "archive/data.warc.gz",
            "indexes/index.cdx",
            "pages/pages.jsonl",
            "datapackage.json",
            "datapackage-digest.json",
        ] {
            assert!(text.contains(name), "{name}: {text}");
        }
    }
}
