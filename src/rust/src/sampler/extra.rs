//! Random-effect terms beyond the first (design section 3, "several random effects").
//!
//! The first term is integrated out by the rotation. The others (`u_e`, stacked over terms 2..M, r_e levels
//! in all) are integrated out analytically where it matters for mixing and sampled explicitly where the
//! factor scores need them, a partially collapsed Gibbs sampler (van Dyk & Park 2008):
//!
//! * variance proportions `a = (a_1, .., a_M)` of a trait are drawn from their posterior with **all** random
//!   effects integrated out. In the rotated space the extra terms add `Zt K_e(a) Zt'` to the diagonal
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
//! budget. With many grid points the proportions move by Metropolis steps to neighbouring grid points
//! (route "metropolis") instead of evaluating the whole grid (route "full"); both leave the same
//! conditional invariant.

use std::collections::HashMap;
use std::sync::Arc;

use rayon::prelude::*;

use crate::error::{Result, SlamError};
use crate::linalg::{cholesky_in_place, gemm, solve_lower, solve_upper_t, Dense};
use crate::model::Priors;
use crate::rng::normal;
use crate::rotation::Rotation;

/// One further random-effect term.
pub struct ExtraTerm {
    /// Design in the original space (n x r_m), for imputation.
    pub z: Dense,
    /// `K_m^-1` (None: identity).
    pub kinv: Option<Dense>,
    pub logdet_k: f64,
    pub r: usize,
    /// First column of this term in the stacked `u_e`.
    pub offset: usize,
}

/// Cached factorisation of `C(a)` at one grid point.
pub struct GridFactor {
    /// Stacked columns of the active terms.
    pub cols: Vec<usize>,
    /// Lower Cholesky factor of `C(a)` (cols.len() squared).
    pub chol: Vec<f64>,
    /// `log|K_e(a)| + log|C(a)|`.
    pub logdet: f64,
}

pub struct Extra {
    pub terms: Vec<ExtraTerm>,
    /// Rotated stacked design `Q' Z_e` (n x r_e).
    pub zt: Dense,
    pub r_e: usize,
    /// Current trait effects (r_e x p) and factor effects (r_e x k).
    pub u: Dense,
    pub uf: Dense,
    /// Offsets `zt u` (n x p) and `zt uf` (n x k).
    pub o: Dense,
    pub of: Dense,
    cache: HashMap<usize, Option<Arc<GridFactor>>>,
    budget_bytes: usize,
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

impl Extra {
    /// Stores newly drawn effects of the traits (`factors = false`) or of the factors, and their
    /// offsets `zt u` in the rotated space.
    pub fn set_effects(&mut self, factors: bool, u: Dense) {
        let (slot, offset) = if factors { (&mut self.uf, &mut self.of) } else { (&mut self.u, &mut self.o) };
        *slot = u;
        crate::linalg::gemm(offset, false, &self.zt, false, slot, 1.0);
    }

    pub fn new(z_extra: &[Dense], kin_extra: &[Option<Dense>], rot: &Rotation, p: usize, k: usize, budget_mb: usize) -> Result<Self> {
        let mut terms = Vec::with_capacity(z_extra.len());
        let mut offset = 0;
        for (z, kin) in z_extra.iter().zip(kin_extra) {
            let (kinv, logdet_k) = match kin {
                Some(kk) => {
                    let (inv, ld) = inverse_logdet(kk)?;
                    (Some(inv), ld)
                }
                None => (None, 0.0),
            };
            terms.push(ExtraTerm { z: z.clone(), kinv, logdet_k, r: z.ncol, offset });
            offset += z.ncol;
        }
        let r_e = offset;
        let n = rot.n();
        let mut stacked = Dense::zeros(n, r_e);
        for t in &terms {
            stacked.data[t.offset * n..(t.offset + t.r) * n].copy_from_slice(&t.z.data);
        }
        Ok(Extra {
            terms,
            zt: rot.rotate(&stacked),
            r_e,
            u: Dense::zeros(r_e, p),
            uf: Dense::zeros(r_e, k),
            o: Dense::zeros(n, p),
            of: Dense::zeros(n, k),
            cache: HashMap::new(),
            budget_bytes: budget_mb.saturating_mul(1 << 20),
        })
    }

    fn factorise(&self, g: usize, w: &[f64], priors: &Priors) -> Option<GridFactor> {
        let mut cols = Vec::new();
        let mut logdet = 0.0;
        let mut blocks = Vec::new();
        for (m, t) in self.terms.iter().enumerate() {
            let a = priors.share(g, m + 1);
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

    /// Makes sure the factorisations of grid points `gs` are cached (computed in parallel); clears the
    /// cache first when it would exceed the memory budget.
    pub fn ensure(&mut self, gs: &[usize], w: &[Vec<f64>], priors: &Priors) {
        let mut need: Vec<usize> = gs.iter().cloned().filter(|g| !self.cache.contains_key(g)).collect();
        need.sort_unstable();
        need.dedup();
        if need.is_empty() {
            return;
        }
        let bytes_each = 8 * self.r_e * self.r_e + 64;
        if (self.cache.len() + need.len()) * bytes_each > self.budget_bytes {
            self.cache.clear();
            need = gs.to_vec();
            need.sort_unstable();
            need.dedup();
        }
        let this = &*self;
        let made: Vec<(usize, Option<Arc<GridFactor>>)> =
            need.par_iter().map(|&g| (g, this.factorise(g, &w[g], priors).map(Arc::new))).collect();
        self.cache.extend(made);
    }

    pub fn factor(&self, g: usize) -> Option<&Arc<GridFactor>> {
        self.cache.get(&g).and_then(|f| f.as_ref())
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

    /// Marginal log-likelihood from a projection `c = Zt' W r` (all r_e levels) and `rwr = r' W r`.
    pub fn loglik_projected(&self, g: usize, logdet_v1: f64, c: &[f64], rwr: f64, psi: f64) -> f64 {
        match self.factor(g) {
            None => f64::NEG_INFINITY,
            Some(gf) => {
                let mut u: Vec<f64> = gf.cols.iter().map(|&l| c[l]).collect();
                solve_lower(&gf.chol, gf.cols.len(), &mut u);
                let quad = rwr - u.iter().map(|v| v * v).sum::<f64>();
                -0.5 * (logdet_v1 + gf.logdet + quad / psi)
            }
        }
    }

    /// Draw of the further effects from a projection `c = Zt' W r` (`u_e | a, rest ~ N(C^-1 c, psi C^-1)`, 0 for inactive terms).
    pub fn draw_projected(&self, g: usize, c: &[f64], psi: f64, rng: &mut rand::rngs::ChaCha8Rng) -> Vec<f64> {
        let mut out = vec![0.0; self.r_e];
        let Some(gf) = self.factor(g) else { return out };
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

    /// Marginal log-likelihood (up to `-n/2 log psi`) of a rotated residual `r` at grid point g, with all
    /// random effects integrated out; `logdet_v1 = sum_i log d_i(g)`. (One column; the sampler uses the
    /// batched [`Extra::project_all`] and [`Extra::loglik_projected`].)
    pub fn loglik(&self, g: usize, w: &[f64], logdet_v1: f64, r: &[f64], psi: f64) -> f64 {
        let e = Dense { nrow: r.len(), ncol: 1, data: r.to_vec() };
        let (c, rwr) = self.project_all(&e, &[0], std::slice::from_ref(&w.to_vec()));
        self.loglik_projected(g, logdet_v1, c.col(0), rwr[0], psi)
    }

    /// `sum_m u_m' K_m^-1 u_m / a_m` over the active terms at grid point g, and the number of active
    /// levels: the prior of the effects of one trait, in units of psi.
    pub fn prior_quad(&self, g: usize, u: &[f64], priors: &Priors) -> (f64, usize) {
        let mut q = 0.0;
        let mut r = 0;
        for (m, t) in self.terms.iter().enumerate() {
            let a = priors.share(g, m + 1);
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

    /// Recomputes the offsets after new effects were drawn.
    pub fn refresh_offsets(&mut self) {
        gemm(&mut self.o, false, &self.zt, false, &self.u, 1.0);
        if self.uf.ncol > 0 {
            gemm(&mut self.of, false, &self.zt, false, &self.uf, 1.0);
        }
    }
}

/// Neighbours of each grid point: the points at the smallest L1 distance (over the term shares and the
/// residual share), for Metropolis moves on the simplex grid.
pub fn grid_neighbours(priors: &Priors) -> Vec<Vec<usize>> {
    let g = priors.h2_grid.len();
    let m = 1 + priors.h2_grid_extra.first().map_or(0, |v| v.len());
    let point = |i: usize| -> Vec<f64> {
        let mut v: Vec<f64> = (0..m).map(|t| priors.share(i, t)).collect();
        v.push(priors.resid_frac(i));
        v
    };
    let pts: Vec<Vec<f64>> = (0..g).map(point).collect();
    let dist = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>();
    let mut dmin = f64::INFINITY;
    for i in 0..g {
        for j in 0..i {
            let d = dist(&pts[i], &pts[j]);
            if d > 1e-12 && d < dmin {
                dmin = d;
            }
        }
    }
    (0..g)
        .map(|i| (0..g).filter(|&j| j != i && dist(&pts[i], &pts[j]) <= dmin * (1.0 + 1e-6)).collect())
        .collect()
}
