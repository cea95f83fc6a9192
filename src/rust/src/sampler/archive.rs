//! Saving and restoring a chain, field by field.
//!
//! A chain is resumed by building it again from the model (its fixed data and a starting state of the
//! right shape) and then overwriting every sampled quantity from the archive. Each part of the state
//! lists its fields once, in [`Archive`] calls that a [`Writer`] writes and a [`Reader`] reads back into
//! place, so saving and restoring cannot drift apart. Entries are named little-endian arrays: a file
//! from another version or another model is refused by name or length, never misread.
//!
//! Layout: magic `SLAMGLMM-STATE` + format version (u32), then entries
//! `name length (u16) | name | kind (u8: 1 f64, 2 u64, 3 bytes) | count (u64) | data`.

use crate::error::{Result, SlamError};
use crate::linalg::Dense;
use crate::link::{LinkState, TraitParams};

use super::state::{AdaptState, ChainState, FactorState, ShrinkState, TraitState};
use super::others::Effects;

const MAGIC: &[u8; 14] = b"SLAMGLMM-STATE";
/// Bumped whenever the list of saved fields changes.
pub const FORMAT_VERSION: u32 = 2;

/// One side of saving/restoring: every method either writes `x` or overwrites it with what was saved.
pub trait Archive {
    fn reals(&mut self, name: &str, x: &mut Vec<f64>) -> Result<()>;
    fn counts(&mut self, name: &str, x: &mut Vec<u64>) -> Result<()>;
    fn bytes(&mut self, name: &str, x: &mut Vec<u8>) -> Result<()>;
}

pub fn real(a: &mut dyn Archive, name: &str, x: &mut f64) -> Result<()> {
    let mut v = vec![*x];
    a.reals(name, &mut v)?;
    *x = one(name, &v)?;
    Ok(())
}

pub fn count(a: &mut dyn Archive, name: &str, x: &mut u64) -> Result<()> {
    let mut v = vec![*x];
    a.counts(name, &mut v)?;
    *x = one(name, &v)?;
    Ok(())
}

pub fn index(a: &mut dyn Archive, name: &str, x: &mut usize) -> Result<()> {
    let mut v = *x as u64;
    count(a, name, &mut v)?;
    *x = v as usize;
    Ok(())
}

pub fn indices(a: &mut dyn Archive, name: &str, x: &mut Vec<usize>) -> Result<()> {
    let mut v: Vec<u64> = x.iter().map(|&i| i as u64).collect();
    a.counts(name, &mut v)?;
    *x = v.into_iter().map(|i| i as usize).collect();
    Ok(())
}

pub fn dense(a: &mut dyn Archive, name: &str, d: &mut Dense) -> Result<()> {
    let mut dims = vec![d.nrow as u64, d.ncol as u64];
    a.counts(&format!("{name}.dim"), &mut dims)?;
    if dims.len() != 2 {
        return Err(corrupt(name));
    }
    a.reals(name, &mut d.data)?;
    d.nrow = dims[0] as usize;
    d.ncol = dims[1] as usize;
    if d.nrow * d.ncol != d.data.len() {
        return Err(corrupt(name));
    }
    Ok(())
}

fn one<T: Copy>(name: &str, v: &[T]) -> Result<T> {
    match v {
        [x] => Ok(*x),
        _ => Err(corrupt(name)),
    }
}

fn corrupt(name: &str) -> SlamError {
    SlamError::new(format!("the saved chain state is damaged or from another version (entry '{name}')"))
}

/// Collects the entries in memory.
pub struct Writer {
    pub buf: Vec<u8>,
}

impl Writer {
    pub fn new() -> Self {
        let mut buf = Vec::new();
        buf.extend_from_slice(MAGIC);
        buf.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        Writer { buf }
    }

    fn head(&mut self, name: &str, kind: u8, len: usize) {
        self.buf.extend_from_slice(&(name.len() as u16).to_le_bytes());
        self.buf.extend_from_slice(name.as_bytes());
        self.buf.push(kind);
        self.buf.extend_from_slice(&(len as u64).to_le_bytes());
    }
}

impl Default for Writer {
    fn default() -> Self {
        Self::new()
    }
}

impl Archive for Writer {
    fn reals(&mut self, name: &str, x: &mut Vec<f64>) -> Result<()> {
        self.head(name, 1, x.len());
        self.buf.reserve(8 * x.len());
        x.iter().for_each(|v| self.buf.extend_from_slice(&v.to_le_bytes()));
        Ok(())
    }
    fn counts(&mut self, name: &str, x: &mut Vec<u64>) -> Result<()> {
        self.head(name, 2, x.len());
        x.iter().for_each(|v| self.buf.extend_from_slice(&v.to_le_bytes()));
        Ok(())
    }
    fn bytes(&mut self, name: &str, x: &mut Vec<u8>) -> Result<()> {
        self.head(name, 3, x.len());
        self.buf.extend_from_slice(x);
        Ok(())
    }
}

/// Reads entries back, in the order they were written, checking each name and kind.
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(buf: &'a [u8]) -> Result<Self> {
        let head = MAGIC.len() + 4;
        if buf.len() < head || &buf[..MAGIC.len()] != MAGIC {
            return Err(SlamError::new("this is not a SLAMglmm chain state (no SLAMGLMM-STATE header)"));
        }
        let mut v = [0u8; 4];
        v.copy_from_slice(&buf[MAGIC.len()..head]);
        let version = u32::from_le_bytes(v);
        if version != FORMAT_VERSION {
            return Err(SlamError::new(format!(
                "the chain state has format version {version}; this version of SLAMglmm reads version {FORMAT_VERSION}"
            )));
        }
        Ok(Reader { buf, pos: head })
    }

    fn take(&mut self, n: usize, name: &str) -> Result<&'a [u8]> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.buf.len()).ok_or_else(|| corrupt(name))?;
        let s = &self.buf[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    /// Reads an entry head and checks that it is `name` of `kind`; returns the count.
    fn head(&mut self, name: &str, kind: u8) -> Result<usize> {
        let l = self.take(2, name)?;
        let nl = u16::from_le_bytes([l[0], l[1]]) as usize;
        let found = self.take(nl, name)?;
        if found != name.as_bytes() {
            return Err(SlamError::new(format!(
                "the saved chain state does not match this model: expected entry '{name}', found '{}'",
                String::from_utf8_lossy(found)
            )));
        }
        if self.take(1, name)?[0] != kind {
            return Err(corrupt(name));
        }
        let mut c = [0u8; 8];
        c.copy_from_slice(self.take(8, name)?);
        usize::try_from(u64::from_le_bytes(c)).map_err(|_| corrupt(name))
    }

    /// True when every entry has been read.
    pub fn at_end(&self) -> bool {
        self.pos == self.buf.len()
    }
}

impl Archive for Reader<'_> {
    fn reals(&mut self, name: &str, x: &mut Vec<f64>) -> Result<()> {
        let n = self.head(name, 1)?;
        let raw = self.take(n.checked_mul(8).ok_or_else(|| corrupt(name))?, name)?;
        *x = raw.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect();
        Ok(())
    }
    fn counts(&mut self, name: &str, x: &mut Vec<u64>) -> Result<()> {
        let n = self.head(name, 2)?;
        let raw = self.take(n.checked_mul(8).ok_or_else(|| corrupt(name))?, name)?;
        *x = raw.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect();
        Ok(())
    }
    fn bytes(&mut self, name: &str, x: &mut Vec<u8>) -> Result<()> {
        let n = self.head(name, 3)?;
        *x = self.take(n, name)?.to_vec();
        Ok(())
    }
}

/// Checks that a restored vector kept the length the model gives it (e.g. one entry per trait).
fn same_len<T>(name: &str, x: &[T], len: usize) -> Result<()> {
    if x.len() == len {
        Ok(())
    } else {
        Err(SlamError::new(format!("the saved chain state does not match this model: '{name}' has {} entries, the model {len}", x.len())))
    }
}

impl ChainState {
    /// Every sampled quantity of the chain, block by block. Of the rotated latent traits `yt` only the
    /// columns `latent` change while sampling (the others are the rotated data, rebuilt with the chain):
    /// only those are saved, which keeps an n x p array of a complete Gaussian data set out of the state.
    pub fn archive(&mut self, a: &mut dyn Archive, latent: &[usize]) -> Result<()> {
        let mut cols = self.yt.select_cols(latent);
        dense(a, "yt.latent", &mut cols)?;
        if cols.nrow != self.yt.nrow || cols.ncol != latent.len() {
            return Err(SlamError::new("the saved chain state does not match this model: 'yt.latent' has another shape"));
        }
        for (c, &j) in latent.iter().enumerate() {
            self.yt.col_mut(j).copy_from_slice(cols.col(c));
        }
        self.link.archive(a)?;
        self.traits.archive(a)?;
        self.factors.archive(a)?;
        self.shrink.archive(a)?;
        self.adapt.archive(a)
    }
}

impl LinkState {
    fn archive(&mut self, a: &mut dyn Archive) -> Result<()> {
        dense(a, "link.h", &mut self.h)?;
        for (c, par) in self.params.iter_mut().enumerate() {
            let at = |f: &str| format!("link.params[{c}].{f}");
            match par {
                TraitParams::None => {}
                TraitParams::Ordinal(cp) => {
                    let n = cp.g.len();
                    a.reals(&at("cutpoints"), &mut cp.g)?;
                    same_len(&at("cutpoints"), &cp.g, n)?;
                    real(a, &at("step"), &mut cp.mh.step)?;
                    count(a, &at("accepted"), &mut cp.mh.accepted)?;
                    count(a, &at("proposed"), &mut cp.mh.proposed)?;
                }
                TraitParams::NegBin(sz) => {
                    real(a, &at("size"), &mut sz.r)?;
                    real(a, &at("step"), &mut sz.mh.step)?;
                    count(a, &at("accepted"), &mut sz.mh.accepted)?;
                    count(a, &at("proposed"), &mut sz.mh.proposed)?;
                }
                TraitParams::Poisson(st) => {
                    count(a, &at("accepted"), &mut st.accepted)?;
                    count(a, &at("proposed"), &mut st.proposed)?;
                }
                TraitParams::Probes(ps) => {
                    let q = ps.mu.len();
                    a.reals(&at("probe_mu"), &mut ps.mu)?;
                    a.reals(&at("probe_rho"), &mut ps.rho)?;
                    same_len(&at("probe_mu"), &ps.mu, q)?;
                    same_len(&at("probe_rho"), &ps.rho, q)?;
                }
            }
        }
        for (c, cs) in self.curves.iter_mut().enumerate() {
            let n = cs.sigma2.len();
            a.reals(&format!("link.curves[{c}].sigma2"), &mut cs.sigma2)?;
            same_len("curve variances", &cs.sigma2, n)?;
        }
        for (c, ns) in self.nonlinear.iter_mut().enumerate() {
            let n = ns.sigma2.len();
            a.reals(&format!("link.nonlinear[{c}].sigma2"), &mut ns.sigma2)?;
            same_len("non-linear variances", &ns.sigma2, n)?;
            count(a, &format!("link.nonlinear[{c}].evaluations"), &mut ns.evaluations)?;
            count(a, &format!("link.nonlinear[{c}].updates"), &mut ns.updates)?;
        }
        Ok(())
    }
}

fn effects(a: &mut dyn Archive, name: &str, e: &mut Option<Effects>) -> Result<()> {
    if let Some(e) = e {
        dense(a, &format!("{name}.u"), &mut e.u)?;
        dense(a, &format!("{name}.o"), &mut e.o)?;
    }
    Ok(())
}

impl TraitState {
    fn archive(&mut self, a: &mut dyn Archive) -> Result<()> {
        let p = self.psi.len();
        dense(a, "traits.b", &mut self.b)?;
        dense(a, "traits.lambda", &mut self.lambda)?;
        a.reals("traits.psi", &mut self.psi)?;
        same_len("traits.psi", &self.psi, p)?;
        indices(a, "traits.h2", &mut self.h2)?;
        same_len("traits.h2", &self.h2, p)?;
        effects(a, "traits.other", &mut self.other)
    }
}

impl FactorState {
    fn archive(&mut self, a: &mut dyn Archive) -> Result<()> {
        dense(a, "factors.bf", &mut self.bf)?;
        indices(a, "factors.h2", &mut self.h2)?;
        dense(a, "factors.ft", &mut self.ft)?;
        effects(a, "factors.other", &mut self.other)
    }
}

impl ShrinkState {
    fn archive(&mut self, a: &mut dyn Archive) -> Result<()> {
        dense(a, "shrink.phi", &mut self.phi)?;
        a.reals("shrink.delta", &mut self.delta)?;
        a.reals("shrink.sigma2_b", &mut self.sigma2_b)?;
        a.reals("shrink.sigma2_bf", &mut self.sigma2_bf)
    }
}

impl AdaptState {
    fn archive(&mut self, a: &mut dyn Archive) -> Result<()> {
        dense(a, "adapt.lambda_avg", &mut self.lambda_avg)?;
        indices(a, "adapt.col_age", &mut self.col_age)
    }
}
