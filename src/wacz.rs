//! `--wacz FILE`: the archive, its index and its pages in one WACZ 1.1.1
//! package (a ZIP) that replay tools (ReplayWeb.page, pywb) open directly.
//!
//! The ZIP is written here, stored (not deflated: WACZ readers read the
//! WARCs by range, which a stored entry allows), in ZIP64 where a size or
//! an offset passes what 32 bits hold: a crawl's package may pass 4 GiB.

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
/// A file cannot be read or written.
pub fn write(path: &Path, contents: &Contents<'_>) -> io::Result<()> {
    write_zip64_at(path, contents, ZIP64_AT)
}

/// As [`write()`], with sizes and offsets from `zip64_at` on in ZIP64 fields.
fn write_zip64_at(path: &Path, contents: &Contents<'_>, zip64_at: u64) -> io::Result<()> {
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
    zip.zip64_at = zip64_at;
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
    entries: u64,
    /// DOS time and date of every entry.
    stamp: (u16, u16),
    /// A size or an offset from this on is written in a ZIP64 field
    /// (`ZIP64_AT`; lower in tests, so that small packages take that way).
    zip64_at: u64,
}

/// What a 32-bit field of a ZIP holds; `0xFFFF_FFFF` itself says "see
/// the ZIP64 field".
const ZIP64_AT: u64 = 0xFFFF_FFFF;

impl<W: Write + Seek> Zip<W> {
    fn new(out: W) -> Zip<W> {
        Zip {
            out,
            offset: 0,
            central: Vec::new(),
            entries: 0,
            stamp: dos_stamp(SystemTime::now()),
            zip64_at: ZIP64_AT,
        }
    }

    /// `value` for a 32-bit field: itself, or the mark that sends a reader
    /// to the ZIP64 field.
    fn field32(&self, value: u64) -> u32 {
        if value >= self.zip64_at {
            u32::MAX
        } else {
            u32::try_from(value).unwrap_or(u32::MAX)
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
        let name_len = u16::try_from(name.len())
            .map_err(|_| io::Error::other(format!("a name too long for a ZIP: {name}")))?;
        let big_size = len >= self.zip64_at;
        let big_offset = self.offset >= self.zip64_at;
        // Version 4.5 reads ZIP64; 2.0 is enough for the rest.
        let version: u16 = if big_size || big_offset { 45 } else { 20 };
        let (time, date) = self.stamp;
        let size = self.field32(len);
        // The local header's ZIP64 field holds both sizes, or is absent.
        let local_extra: Vec<u8> = if big_size {
            zip64_field(&[len, len])
        } else {
            Vec::new()
        };
        let mut local = Vec::with_capacity(30 + name.len() + local_extra.len());
        local.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        local.extend_from_slice(&version.to_le_bytes()); // version needed
        local.extend_from_slice(&0x0800u16.to_le_bytes()); // UTF-8 names
        local.extend_from_slice(&0u16.to_le_bytes()); // stored
        local.extend_from_slice(&time.to_le_bytes());
        local.extend_from_slice(&date.to_le_bytes());
        local.extend_from_slice(&crc.to_le_bytes());
        local.extend_from_slice(&size.to_le_bytes());
        local.extend_from_slice(&size.to_le_bytes());
        local.extend_from_slice(&name_len.to_le_bytes());
        local.extend_from_slice(&extra_len(&local_extra).to_le_bytes());
        local.extend_from_slice(name.as_bytes());
        local.extend_from_slice(&local_extra);
        self.out.write_all(&local)?;
        // The central entry's ZIP64 field holds what its 32-bit fields
        // could not, in the order the format gives.
        let mut wide = Vec::new();
        if big_size {
            wide.extend([len, len]);
        }
        if big_offset {
            wide.push(self.offset);
        }
        let central_extra = if wide.is_empty() {
            Vec::new()
        } else {
            zip64_field(&wide)
        };
        let offset = self.field32(self.offset);
        let c = &mut self.central;
        c.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        c.extend_from_slice(&version.to_le_bytes()); // made by
        c.extend_from_slice(&version.to_le_bytes()); // needed
        c.extend_from_slice(&0x0800u16.to_le_bytes());
        c.extend_from_slice(&0u16.to_le_bytes());
        c.extend_from_slice(&time.to_le_bytes());
        c.extend_from_slice(&date.to_le_bytes());
        c.extend_from_slice(&crc.to_le_bytes());
        c.extend_from_slice(&size.to_le_bytes());
        c.extend_from_slice(&size.to_le_bytes());
        c.extend_from_slice(&name_len.to_le_bytes());
        c.extend_from_slice(&extra_len(&central_extra).to_le_bytes());
        c.extend_from_slice(&[0; 6]); // comment, disk, internal attrs
        c.extend_from_slice(&0u32.to_le_bytes()); // external attrs
        c.extend_from_slice(&offset.to_le_bytes());
        c.extend_from_slice(name.as_bytes());
        c.extend_from_slice(&central_extra);
        self.offset += local.len() as u64;
        self.entries += 1;
        Ok(())
    }

    /// Writes the central directory and its end record (after a ZIP64 end
    /// record and its locator when a count, a size or an offset needs
    /// them).
    fn finish(mut self) -> io::Result<()> {
        let start = self.offset;
        let size = self.central.len() as u64;
        self.out.write_all(&self.central)?;
        // The count's field is 16 bits; 0xFFFF itself says "see ZIP64".
        let many = self.entries >= self.zip64_at.min(0xFFFF);
        let mut end = Vec::with_capacity(22 + 76);
        if many || start >= self.zip64_at || size >= self.zip64_at {
            let at = start + size;
            end.extend_from_slice(&0x0606_4b50u32.to_le_bytes());
            end.extend_from_slice(&44u64.to_le_bytes()); // size of what follows
            end.extend_from_slice(&45u16.to_le_bytes()); // made by
            end.extend_from_slice(&45u16.to_le_bytes()); // needed
            end.extend_from_slice(&[0; 8]); // disk numbers
            end.extend_from_slice(&self.entries.to_le_bytes());
            end.extend_from_slice(&self.entries.to_le_bytes());
            end.extend_from_slice(&size.to_le_bytes());
            end.extend_from_slice(&start.to_le_bytes());
            end.extend_from_slice(&0x0706_4b50u32.to_le_bytes());
            end.extend_from_slice(&0u32.to_le_bytes()); // its disk
            end.extend_from_slice(&at.to_le_bytes());
            end.extend_from_slice(&1u32.to_le_bytes()); // disks
        }
        let entries = if many {
            u16::MAX
        } else {
            u16::try_from(self.entries).unwrap_or(u16::MAX)
        };
        end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        end.extend_from_slice(&[0; 4]); // disk numbers
        end.extend_from_slice(&entries.to_le_bytes());
        end.extend_from_slice(&entries.to_le_bytes());
        end.extend_from_slice(&self.field32(size).to_le_bytes());
        end.extend_from_slice(&self.field32(start).to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes()); // comment
        self.out.write_all(&end)?;
        self.out.flush()
    }
}

/// A ZIP64 extended-information field holding `values`.
fn zip64_field(values: &[u64]) -> Vec<u8> {
    let mut f = Vec::with_capacity(4 + 8 * values.len());
    f.extend_from_slice(&1u16.to_le_bytes());
    f.extend_from_slice(&(8 * values.len() as u16).to_le_bytes());
    for v in values {
        f.extend_from_slice(&v.to_le_bytes());
    }
    f
}

/// The length of an extra field, which is at most 28 bytes here.
fn extra_len(extra: &[u8]) -> u16 {
    u16::try_from(extra.len()).unwrap_or(0)
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

    #[test]
    fn a_package_past_what_32_bits_hold_is_zip64_that_python_reads() {
        // Every size and offset taken as too big for 32 bits: the ZIP64
        // way that a package over 4 GiB takes, on a package of a few bytes.
        let dir = tempfile::tempdir().unwrap();
        let warc = dir.path().join("data.warc.gz");
        std::fs::write(&warc, b"not really a warc").unwrap();
        let wacz = dir.path().join("a.wacz");
        let contents = Contents {
            warcs: &[warc],
            cdxj: "com,example)/ 20261207000000 {}\n",
            pages: "{\"url\": \"https://example.com/\"}\n",
        };
        write_zip64_at(&wacz, &contents, 0).unwrap();
        let bytes = std::fs::read(&wacz).unwrap();
        let has = |sig: &[u8]| bytes.windows(4).any(|w| w == sig);
        assert!(has(b"PK\x06\x06"), "no ZIP64 end record");
        assert!(has(b"PK\x06\x07"), "no ZIP64 locator");
        let check = "import sys, zipfile\n\
                     z = zipfile.ZipFile(sys.argv[1])\n\
                     assert z.testzip() is None\n\
                     assert z.read('archive/data.warc.gz') == b'not really a warc'\n\
                     assert z.read('indexes/index.cdx').startswith(b'com,example)/')\n\
                     print(' '.join(sorted(z.namelist())))\n";
        let out = std::process::Command::new("python3")
            .arg("-c")
            .arg(check)
            .arg(&wacz)
            .output()
            .expect("python3, which the archive tests need");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{text}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            text.trim(),
            "archive/data.warc.gz datapackage-digest.json datapackage.json \
             indexes/index.cdx pages/pages.jsonl"
        );
    }
}
