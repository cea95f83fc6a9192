//! Random-effect terms other than the rotated one.
//!
//! The rotated term is integrated out by the rotation. The others (`u_e`, stacked over those terms, r_e
//! levels in all) are integrated out analytically where it matters for mixing and sampled explicitly where
//! the other blocks need them, a partially collapsed Gibbs sampler (van Dyk & Park 2008):
//!
//! * variance proportions `a = (a_1, .., a_M)` of a trait are drawn from their posterior with **all** random
//!   effects integrated out. In the rotated space the other terms add `Zt K_e(a) Zt'` to the diagonal
//!   `V_1 = diag(d)` (`Zt = Q' Z_e`, `K_e(a) = blockdiag(a_m K_m)` over the active terms, `a_m > 0`), so with
//!   `W = V_1^-1`, `C(a) = Zt' W Zt + K_e(a)^-1` and `c = Zt' W r` (Woodbury, determinant lemma):
//!
//!   `log|psi V| = n log psi + sum_i log d_i + log|K_e(a)| + log|C(a)|`,
//!   `r' V^-1 r = r' W r - c' C(a)^-1 c`;
//!
//! * right after, `u_e | a, rest ~ N(C(a)^-1 c, psi C(a)^-1)` (the marginalised quantity is drawn next,
//!   which keeps the partially collapsed sampler valid);
//! * the other blocks condition on `u_e` through the offsets `O = Zt u_e` (traits) and `OF` (factors).
//!
//! `C(a)` and its Cholesky factor depend only on the grid point, so they are cached, within a memory
//! budget; the cache is fixed data in the sense that a factorisation is the same whenever it is made. With
//! many grid points the proportions move by Metropolis steps to neighbouring grid points (route
//! "metropolis") instead of evaluating the whole grid (route "full"); both leave the same conditional
//! invariant.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use rayon::prelude::*;

use crate::error::{Result, SlamError};
use crate::grid::Grid;
use crate::linalg::{cholesky_in_place, gemm, solve_lower, solve_upper_t, Dense};
use crate::model::Term;
use crate::rng::normal;
use crate::rotation::Rotation;

/// One of the other random-effect terms.
pub struct OtherTerm {
    /// Index of the term in the user's order (its column of the grid).
    pub term: usize,
    /// Design in the original space (n x r_m), for the link step.
    pub z: Dense,
    /// `K_m^-1` (None: identity).
    pub kinv: Option<Dense>,
    pub logdet_k: f64,
    pub r: usize,
    /// First column of this term in the stacked `u_e`.
    pub offset: usize,
}

/// Factorisation of `C(a)` at one grid point.
pub struct GridFactor {
    /// Stacked columns of the active terms.
    pub cols: Vec<usize>,
    /// Lower Cholesky factor of `C(a)` (cols.len() squared).
    pub chol: Vec<f64>,
    /// `log|K_e(a)| + log|C(a)|`.
    pub logdet: f64,
}

/// Factorisations of the grid points a step needs (None: not positive definite at that point).
pub type Factors = HashMap<usize, Option<Arc<GridFactor>>>;

/// The cache of factorisations, bounded by a memory budget.
struct Cache {
    map: Factors,
    budget_bytes: usize,
}

/// The other terms' fixed data: designs, inverse covariances, and the cache of factorisations.
pub struct OtherTerms {
    pub terms: Vec<OtherTerm>,
    /// Rotated stacked design `Q' Z_e` (n x r_e).
    pub zt: Dense,
    pub r_e: usize,
    cache: Mutex<Cache>,
}

/// Effects of the other terms for a set of columns (traits or factors): `u` (r_e x m) and the offsets
/// `o = zt u` (n x m) in the rotated space. Part of the chain state.
#[derive(Clone, Debug)]
pub struct Effects {
    pub u: Dense,
    pub o: Dense,
}

impl Effects {
    pub fn zeros(r_e: usize, n: usize, m: usize) -> Self {
        Effects { u: Dense::zeros(r_e, m), o: Dense::zeros(n, m) }
    }

    /// Stores newly drawn effects and their offsets `zt u`.
    pub fn set(&mut self, zt: &Dense, u: Dense) {
        self.u = u;
        gemm(&mut self.o, false, zt, false, &self.u, 1.0);
    }
}

/// Inverse and log-determinant of a covariance among levels; a (near) singular K gets a small ridge.
fn inverse_logdet(k: &Dense) -> Result<(Dense, f64)> {
    let r = k.nrow;
    let scale = (0..r).map(|i| k.get(i, i)).sum::<f64>() / r.max(1) as f64;
    for ridge in [0.0, 1e-8, 1e-6, 1e-4] {
        let mut l = k.data.clone();
        for i in 0..r {
            l[i * r + i] += ridge * scale;
        }
        if !cholesky_in_place(&mut l, r) {
            continue;
        }
        let logdet = 2.0 * (0..r).map(|i| l[i * r + i].ln()).sum::<f64>();
        let mut inv = Dense::zeros(r, r);
        for j in 0..r {
            let col = inv.col_mut(j);
            col[j] = 1.0;
            solve_lower(&l, r, col);
            solve_upper_t(&l, r, col);
        }
        return Ok((inv, logdet));
    }
    Err(SlamError::new("a relationship matrix of a further random effect is not positive semi-definite"))
}

impl OtherTerms {
    /// The terms `ids` (user order) of `terms`, stacked in that order.
    pub fn new(terms: &[Term], ids: &[usize], rot: &Rotation, budget_mb: usize) -> Result<Self> {
        let mut out = Vec::with_capacity(ids.len());
        let mut offset = 0;
        for &m in ids {
            let t = &terms[m];
            let (kinv, logdet_k) = match &t.kin {
                Some(kk) => {
                    let (inv, ld) = inverse_logdet(kk)?;
                    (Some(inv), ld)
                }
                None => (None, 0.0),
            };
            out.push(OtherTerm { term: m, z: t.z.clone(), kinv, logdet_k, r: t.z.ncol, offset });
            offset += t.z.ncol;
        }
        let r_e = offset;
        let n = rot.n();
        let mut stacked = Dense::zeros(n, r_e);
        for t in &out {
            stacked.data[t.offset * n..(t.offset + t.r) * n].copy_from_slice(&t.z.data);
        }
        Ok(OtherTerms {
            terms: out,
            zt: rot.rotate(&stacked),
            r_e,
            cache: Mutex::new(Cache { map: HashMap::new(), budget_bytes: budget_mb.saturating_mul(1 << 20) }),
        })
    }

    /// Zero effects for m columns.
    pub fn zero_effects(&self, m: usize) -> Effects {
        Effects::zeros(self.r_e, self.zt.nrow, m)
    }

    /// `C(a)` at grid point g and its Cholesky factor (None when not positive definite).
    fn factorise(&self, g: usize, w: &[f64], grid: &Grid) -> Option<GridFactor> {
        let mut cols = Vec::new();
        let mut logdet = 0.0;
        let mut blocks = Vec::new();
        for (m, t) in self.terms.iter().enumerate() {
            let a = grid.share(g, t.term);
            if a > 0.0 {
                blocks.push((cols.len(), m, a));
                cols.extend(t.offset..t.offset + t.r);
                logdet += t.r as f64 * a.ln() + t.logdet_k;
            }
        }
        let r = cols.len();
        let zs = self.zt.select_cols(&cols);
        let mut wz = zs.clone();
        for c in 0..r {
            for (v, wi) in wz.col_mut(c).iter_mut().zip(w) {
                *v *= wi;
            }
        }
        let mut cm = Dense::zeros(r, r);
        gemm(&mut cm, false, &zs, true, &wz, 1.0);
        for (start, m, a) in blocks {
            let t = &self.terms[m];
            for i in 0..t.r {
                for j in 0..t.r {
                    let kij = match &t.kinv {
                        Some(ki) => ki.get(i, j),
                        None => (i == j) as u8 as f64,
                    };
                    cm.data[(start + j) * r + start + i] += kij / a;
                }
            }
        }
        if !cholesky_in_place(&mut cm.data, r) {
            return None;
        }
        logdet += 2.0 * (0..r).map(|i| cm.data[i * r + i].ln()).sum::<f64>();
        Some(GridFactor { cols, chol: cm.data, logdet })
    }

    /// The factorisations of grid points `gs`, from the cache or made now (in parallel); the cache is
    /// cleared first when it would exceed its memory budget.
    pub fn factors(&self, gs: &[usize], w: &[Vec<f64>], grid: &Grid) -> Factors {
        let mut wanted: Vec<usize> = gs.to_vec();
        wanted.sort_unstable();
        wanted.dedup();
        // A poisoned lock only means another thread panicked while holding it; the map is still valid.
        let mut cache = match self.cache.lock() {
            Ok(c) => c,
            Err(e) => e.into_inner(),
        };
        let need: Vec<usize> = wanted.iter().cloned().filter(|g| !cache.map.contains_key(g)).collect();
        if !need.is_empty() {
            let bytes_each = 8 * self.r_e * self.r_e + 64;
            let need = if (cache.map.len() + need.len()) * bytes_each > cache.budget_bytes {
                cache.map.clear();
                wanted.clone()
            } else {
                need
            };
            let made: Vec<(usize, Option<Arc<GridFactor>>)> =
                need.par_iter().map(|&g| (g, self.factorise(g, &w[g], grid).map(Arc::new))).collect();
            cache.map.extend(made);
        }
        wanted.iter().map(|&g| (g, cache.map.get(&g).cloned().flatten())).collect()
    }

    /// For many columns at once: `Zt' (w_{g_j} o r_j)` (r_e x m) as one product, and `r_j' W_{g_j} r_j`.
    pub fn project_all(&self, e: &Dense, idx: &[usize], w: &[Vec<f64>]) -> (Dense, Vec<f64>) {
        let mut m = e.clone();
        let mut rwr = vec![0.0; e.ncol];
        for j in 0..e.ncol {
            let wj = &w[idx[j]];
            let mut s = 0.0;
            for (v, wi) in m.col_mut(j).iter_mut().zip(wj) {
                s += *v * *v * wi;
                *v *= wi;
            }
            rwr[j] = s;
        }
        let mut c = Dense::zeros(self.r_e, e.ncol);
        gemm(&mut c, false, &self.zt, true, &m, 1.0);
        (c, rwr)
    }

    /// Marginal log-likelihood from a projection `c = Zt' W r` (all r_e levels) and `rwr = r' W r`, with
    /// `logdet_v1 = sum_i log d_i(g)`; minus infinity where `C(a)` is not positive definite.
    pub fn loglik_projected(gf: Option<&GridFactor>, logdet_v1: f64, c: &[f64], rwr: f64, psi: f64) -> f64 {
        match gf {
            None => f64::NEG_INFINITY,
            Some(gf) => {
                let mut u: Vec<f64> = gf.cols.iter().map(|&l| c[l]).collect();
                solve_lower(&gf.chol, gf.cols.len(), &mut u);
                let quad = rwr - u.iter().map(|v| v * v).sum::<f64>();
                -0.5 * (logdet_v1 + gf.logdet + quad / psi)
            }
        }
    }

    /// Draw of the other effects from a projection `c = Zt' W r`: `u_e | a, rest ~ N(C^-1 c, psi C^-1)`,
    /// 0 for inactive terms.
    pub fn draw_projected(&self, gf: Option<&GridFactor>, c: &[f64], psi: f64, rng: &mut rand::rngs::ChaCha8Rng) -> Vec<f64> {
        let mut out = vec![0.0; self.r_e];
        let Some(gf) = gf else { return out };
        let n = gf.cols.len();
        let mut u: Vec<f64> = gf.cols.iter().map(|&l| c[l]).collect();
        solve_lower(&gf.chol, n, &mut u);
        let sd = psi.sqrt();
        for v in u.iter_mut() {
            *v += sd * normal(rng);
        }
        solve_upper_t(&gf.chol, n, &mut u);
        for (i, &col) in gf.cols.iter().enumerate() {
            out[col] = u[i];
        }
        out
    }

    /// Marginal log-likelihood (up to `-n/2 log psi`) of one rotated residual `r` at grid point g, with
    /// all random effects integrated out (the sampler uses the batched [`Self::project_all`]).
    pub fn loglik(&self, g: usize, w: &[Vec<f64>], logdet_v1: f64, r: &[f64], psi: f64, grid: &Grid) -> f64 {
        let e = Dense { nrow: r.len(), ncol: 1, data: r.to_vec() };
        let (c, rwr) = self.project_all(&e, &[g], w);
        let f = self.factors(&[g], w, grid);
        Self::loglik_projected(f.get(&g).and_then(|x| x.as_deref()), logdet_v1, c.col(0), rwr[0], psi)
    }

    /// `sum_m u_m' K_m^-1 u_m / a_m` over the active terms at grid point g, and the number of active
    /// levels: the prior of the effects of one trait, in units of psi.
    pub fn prior_quad(&self, g: usize, u: &[f64], grid: &Grid) -> (f64, usize) {
        let mut q = 0.0;
        let mut r = 0;
        for t in &self.terms {
            let a = grid.share(g, t.term);
            if a <= 0.0 {
                continue;
            }
            let um = &u[t.offset..t.offset + t.r];
            let s = match &t.kinv {
                None => um.iter().map(|v| v * v).sum::<f64>(),
                Some(ki) => (0..t.r).map(|j| um[j] * ki.col(j).iter().zip(um).map(|(a, b)| a * b).sum::<f64>()).sum(),
            };
            q += s / a;
            r += t.r;
        }
        (q, r)
    }

    /// `sum_m Z_m u_m` in the original space for the columns of `u` (r_e x m), added to `out` (n x m).
    pub fn add_original(&self, out: &mut Dense, u: &Dense) {
        for t in &self.terms {
            let mut um = Dense::zeros(t.r, u.ncol);
            for c in 0..u.ncol {
                um.col_mut(c).copy_from_slice(&u.col(c)[t.offset..t.offset + t.r]);
            }
            gemm(out, true, &t.z, false, &um, 1.0);
        }
    }
}
