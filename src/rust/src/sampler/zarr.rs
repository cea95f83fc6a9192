//! Saved draws on disk, in chunks, as a Zarr (version 2) group: memory holds at most one chunk of draws,
//! whatever the length of the run.
//!
//! Why Zarr, and why written here: it is a standard chunked-array format that Python (zarr, xarray), Rust
//! (zarrs), R (Rarr) and others read, and for uncompressed chunks it is a JSON header per array plus one
//! file of raw little-endian numbers per chunk, so a writer is a page of code; the HDF5 and netCDF crates
//! need their C libraries, and the Zarr crates bring dozens of dependencies for what is used here.
//!
//! Layout of a chain's group (`dir`): `.zgroup`, and per saved quantity a directory `name/` with
//! `.zarray` (shape `[T, d_2, d_1]`, where `d_1 x d_2` is the quantity's column-major shape in a
//! [`Draw`], so one draw is one C-order row; dtype `<f8`; no compressor), `.zattrs` (xarray's dimension
//! names) and chunk files `c.0.0` of `chunk` draws each. The last chunk is written padded with NaN at
//! each flush (checkpoints, the end of the run) and rewritten when it fills up; `shape[0]` is the number
//! of draws flushed.

use std::fs;
use std::path::{Path, PathBuf};

use crate::error::{Result, SlamError};

use super::archive::{self, Archive};
use super::checkpoint::write_atomic;
use super::record::{Draw, Keep, PSI};

/// One saved quantity: its name, its place in [`Draw::parts`], the shape of one draw (column-major, R's
/// order) and its dimension names.
struct Quantity {
    name: &'static str,
    part: usize,
    shape: Vec<usize>,
    dims: Vec<&'static str>,
}

/// The draws of one chain on disk.
pub struct DiskDraws {
    dir: PathBuf,
    chunk: usize,
    quantities: Vec<Quantity>,
    /// Draws of the current (last, incomplete) chunk, per quantity.
    buffer: Vec<Vec<f64>>,
    /// Draws in complete chunks on disk.
    in_chunks: usize,
    /// Which of `quantities` is psi (always kept; it counts the draws).
    psi_at: usize,
}

fn io(what: &str, path: &Path, e: std::io::Error) -> SlamError {
    SlamError::new(format!("could not {what} {}: {e}", path.display()))
}

impl DiskDraws {
    /// A store in `dir` (created if needed) for draws of p traits, k factors, b and bF fixed effects, M
    /// terms and `n_family` family parameters, `chunk` draws per chunk; only the quantities in `keep`.
    #[allow(clippy::too_many_arguments)]
    pub fn create(dir: &Path, chunk: usize, p: usize, k: usize, b: usize, bf: usize, m: usize, n_family: usize, keep: Keep) -> Result<Self> {
        let q = |name, shape: Vec<usize>, dims: Vec<&'static str>| Quantity { name, part: 0, shape, dims };
        let all = [
            q("Lambda", vec![p, k], vec!["trait", "factor"]),
            q("B", vec![b, p], vec!["fixed", "trait"]),
            q("BF", vec![bf, k], vec!["fixed_F", "factor"]),
            q("psi", vec![p], vec!["trait"]),
            q("h2", vec![p, m], vec!["trait", "term"]),
            q("h2F", vec![k, m], vec!["factor", "term"]),
            q("h2_total", vec![p, m], vec!["trait", "term"]),
            q("sigma2_b", vec![b], vec!["fixed"]),
            q("delta", vec![k], vec!["factor"]),
            q("family", vec![n_family], vec!["family_parameter"]),
        ];
        let quantities: Vec<Quantity> =
            all.into_iter().enumerate().filter(|(i, _)| keep.has(*i)).map(|(i, qt)| Quantity { part: i, ..qt }).collect();
        let psi_at = quantities.iter().position(|qt| qt.part == PSI).ok_or_else(|| SlamError::new("internal: psi must be kept"))?;
        fs::create_dir_all(dir).map_err(|e| io("create", dir, e))?;
        write_atomic(&dir.join(".zgroup"), b"{\n  \"zarr_format\": 2\n}\n")?;
        let store = DiskDraws { dir: dir.to_path_buf(), chunk: chunk.max(1), buffer: vec![Vec::new(); quantities.len()], quantities, in_chunks: 0, psi_at };
        for (i, qt) in store.quantities.iter().enumerate() {
            let d = store.dir.join(qt.name);
            fs::create_dir_all(&d).map_err(|e| io("create", &d, e))?;
            let mut names: Vec<String> = vec!["\"draw\"".into()];
            names.extend(qt.dims.iter().rev().map(|s| format!("\"{s}\"")));
            let attrs = format!("{{\n  \"_ARRAY_DIMENSIONS\": [{}]\n}}\n", names.join(", "));
            write_atomic(&d.join(".zattrs"), attrs.as_bytes())?;
            store.write_header(i, 0)?;
        }
        Ok(store)
    }

    /// Draws saved so far (on disk and in the buffer).
    pub fn n_draws(&self) -> usize {
        self.in_chunks + self.buffered()
    }

    /// Draws in the buffer, counted on psi (one value per trait, never empty).
    fn buffered(&self) -> usize {
        self.buffer[self.psi_at].len() / self.quantities[self.psi_at].shape[0].max(1)
    }

    /// `.zarray` of quantity i with `t` draws.
    fn write_header(&self, i: usize, t: usize) -> Result<()> {
        let qt = &self.quantities[i];
        let mut shape = vec![t];
        shape.extend(qt.shape.iter().rev());
        let mut chunks = vec![self.chunk];
        chunks.extend(qt.shape.iter().rev().map(|&d| d.max(1)));
        let list = |v: &[usize]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>().join(", ");
        let json = format!(
            "{{\n  \"zarr_format\": 2,\n  \"shape\": [{}],\n  \"chunks\": [{}],\n  \"dtype\": \"<f8\",\n  \"compressor\": null,\n  \"fill_value\": \"NaN\",\n  \"order\": \"C\",\n  \"filters\": null,\n  \"dimension_separator\": \".\"\n}}\n",
            list(&shape),
            list(&chunks)
        );
        write_atomic(&self.dir.join(qt.name).join(".zarray"), json.as_bytes())
    }

    /// Writes the buffered draws as chunk number `in_chunks / chunk`, padded with NaN to a whole chunk.
    fn write_chunk(&self) -> Result<()> {
        let c = self.in_chunks / self.chunk;
        for (i, qt) in self.quantities.iter().enumerate() {
            let per = qt.shape.iter().product::<usize>();
            let mut bytes = Vec::with_capacity(8 * per * self.chunk);
            for v in &self.buffer[i] {
                bytes.extend_from_slice(&v.to_le_bytes());
            }
            for _ in self.buffer[i].len()..per * self.chunk {
                bytes.extend_from_slice(&f64::NAN.to_le_bytes());
            }
            let key = std::iter::once(c.to_string()).chain(qt.shape.iter().map(|_| "0".to_string())).collect::<Vec<_>>().join(".");
            write_atomic(&self.dir.join(qt.name).join(key), &bytes)?;
        }
        Ok(())
    }

    /// Adds one draw; a full chunk goes to disk.
    pub fn record(&mut self, d: &Draw) -> Result<()> {
        let parts = d.parts();
        for (buf, qt) in self.buffer.iter_mut().zip(&self.quantities) {
            buf.extend_from_slice(parts[qt.part]);
        }
        if self.buffered() == self.chunk {
            self.write_chunk()?;
            self.in_chunks += self.chunk;
            self.buffer.iter_mut().for_each(|b| b.clear());
            for i in 0..self.quantities.len() {
                self.write_header(i, self.in_chunks)?;
            }
        }
        Ok(())
    }

    /// Puts every draw so far on disk (the last chunk padded) and sets the arrays' length to it.
    pub fn flush(&self) -> Result<()> {
        if self.buffered() > 0 {
            self.write_chunk()?;
        }
        for i in 0..self.quantities.len() {
            self.write_header(i, self.n_draws())?;
        }
        Ok(())
    }

    /// What a checkpoint needs: the count on disk and the draws of the unfinished chunk (at most one
    /// chunk; the chunk files themselves are on disk already).
    pub fn archive(&mut self, a: &mut dyn Archive) -> Result<()> {
        archive::index(a, "disk.in_chunks", &mut self.in_chunks)?;
        let mut chunk = self.chunk;
        archive::index(a, "disk.chunk", &mut chunk)?;
        if chunk != self.chunk {
            return Err(SlamError::new("the saved chain wrote its draws in chunks of another size"));
        }
        for (i, qt) in self.quantities.iter().enumerate() {
            a.reals(&format!("disk.buffer.{}", qt.name), &mut self.buffer[i])?;
        }
        Ok(())
    }
}
