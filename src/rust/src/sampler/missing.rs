//! Block 1: the observation model for Gaussian traits with missing values.
//!
//! Missing entries of H are imputed every iteration, exactly given the model, by data augmentation: for a
//! trait j with missing entries, first its random effect in the original space, `g_j = Z u_j`, is drawn given
//! the current complete column, then the missing entries given `g_j`:
//!
//! in the rotated space `gt_i | . ~ N(s_i h2 / d_i rt_i, psi h2 s_i (1 - h2) / d_i)` with
//! `rt = yt_j - xt b_j - ft lambda_j`, `d_i = h2 s_i + 1 - h2`; then `g_j = Q gt` and
//! `h_ij = x_i b_j + f_i lambda_j + g_ij + N(0, psi_j (1 - h2_j))` for the missing i. Both are full
//! conditionals of the model with u_j restored, so the chain keeps the right stationary distribution.
//! Costs one rotation `Q' h_j` per trait with missing values per iteration.

use rayon::prelude::*;

use super::Sampler;
use crate::linalg::{gemm, Dense};
use crate::rng::{normal, task_rng, Block};

pub struct Missing {
    /// Traits with at least one missing entry.
    pub cols: Vec<usize>,
    /// Missing rows of each of those traits.
    pub rows: Vec<Vec<usize>>,
    /// Current H of those traits in the original space (n x cols.len()).
    pub h: Dense,
    /// The fixed-effect design in the original space (only kept when something is missing).
    pub x: Dense,
}

impl Missing {
    pub fn new(y: &Dense) -> Self {
        let mut cols = Vec::new();
        let mut rows = Vec::new();
        for j in 0..y.ncol {
            let r: Vec<usize> = (0..y.nrow).filter(|&i| y.get(i, j).is_nan()).collect();
            if !r.is_empty() {
                cols.push(j);
                rows.push(r);
            }
        }
        let mut h = y.select_cols(&cols);
        h.data.iter_mut().for_each(|v| {
            if v.is_nan() {
                *v = 0.0;
            }
        });
        Missing { cols, rows, h, x: Dense::zeros(0, 0) }
    }

    /// Y with missing entries at the (standardised) mean, 0, to start the chain.
    pub fn filled_start(&self, y: &Dense) -> Dense {
        let mut out = y.clone();
        out.data.iter_mut().for_each(|v| {
            if v.is_nan() {
                *v = 0.0;
            }
        });
        out
    }

    pub fn any(&self) -> bool {
        !self.cols.is_empty()
    }
}

impl Sampler {
    pub fn impute_missing(&mut self, it: usize) {
        if !self.missing.any() {
            return;
        }
        let m = self.missing.cols.len();
        let n = self.n;
        let seed = self.settings.seed;
        let grid = &self.priors.h2_grid;
        // Current mean in the original space: X B + F Lambda' for the traits with missing values.
        let cols = self.missing.cols.clone();
        let f_orig = self.rot.unrotate(&self.ft);
        let mut lam_m = Dense::zeros(m, self.k);
        let mut b_m = Dense::zeros(self.b, m);
        for (c, &j) in cols.iter().enumerate() {
            for h in 0..self.k {
                lam_m.set(c, h, self.lambda.get(j, h));
            }
            for l in 0..self.b {
                b_m.set(l, c, self.bmat.get(l, j));
            }
        }
        let mut mean = Dense::zeros(n, m);
        gemm(&mut mean, false, &self.missing.x, false, &b_m, 1.0);
        if let Some(x) = &self.extra {
            // Further random effects, in the original space: sum_m Z_m u_m.
            for t in &x.terms {
                let mut um = Dense::zeros(t.r, m);
                for (c, &j) in cols.iter().enumerate() {
                    um.col_mut(c).copy_from_slice(&x.u.col(j)[t.offset..t.offset + t.r]);
                }
                gemm(&mut mean, true, &t.z, false, &um, 1.0);
            }
        }
        if self.k > 0 {
            crate::linalg::gemm_nt(&mut mean, true, &f_orig, &lam_m, 1.0);
        }
        // Random effects g_j = Z u_j in the original space (zero without a random effect).
        let gen = if self.rot.is_identity() {
            Dense::zeros(n, m)
        } else {
            let mut rt = self.trait_target().select_cols(&cols);
            gemm(&mut rt, true, &self.xt, false, &b_m, -1.0);
            if self.k > 0 {
                crate::linalg::gemm_nt(&mut rt, true, &self.ft, &lam_m, -1.0);
            }
            let s = &self.rot.s;
            let (psi, h2_idx, efrac) = (&self.psi, &self.h2_idx, &self.efrac);
            rt.data.par_chunks_mut(n).enumerate().for_each(|(c, col)| {
                let j = cols[c];
                let h2 = grid[h2_idx[j]];
                let mut rng = task_rng(seed, Block::Missing, 2 * j, it);
                for (i, v) in col.iter_mut().enumerate() {
                    let e = efrac[h2_idx[j]];
                    let d = h2 * s[i] + e;
                    let var = psi[j] * h2 * s[i] * e / d;
                    *v = s[i] * h2 / d * *v + var.max(0.0).sqrt() * normal(&mut rng);
                }
            });
            self.rot.unrotate(&rt)
        };
        let rows = &self.missing.rows;
        let (psi, h2_idx, efrac) = (&self.psi, &self.h2_idx, &self.efrac);
        self.missing.h.data.par_chunks_mut(n).enumerate().for_each(|(c, col)| {
            let j = cols[c];
            let sd = (psi[j] * efrac[h2_idx[j]]).sqrt();
            let mut rng = task_rng(seed, Block::Missing, 2 * j + 1, it);
            for &i in &rows[c] {
                col[i] = mean.get(i, c) + gen.get(i, c) + sd * normal(&mut rng);
            }
        });
        let hrot = self.rot.rotate(&self.missing.h);
        for (c, &j) in cols.iter().enumerate() {
            self.yt.col_mut(j).copy_from_slice(hrot.col(c));
        }
    }
}
