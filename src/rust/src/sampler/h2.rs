//! Variance proportions on their discrete grid, for traits (block 2) and factors (block 3).
//!
//! Given its residual `r` in the rotated space, a trait's log-likelihood at grid point g is
//!
//! `l_g = -1/2 ( sum_i ln(psi d_ig) + sum_i r_i^2 / (psi d_ig) )`,  `d_ig = h2_g s_i + 1 - h2_g`,
//!
//! (factors: psi = 1). For all traits at once the sums `sum_i r_ij^2 / d_ig` are one (G x n) by (n x p)
//! product on the squared residuals; the draw is a categorical over `l_g + ln(prior_g)`.

use rayon::prelude::*;

use super::Sampler;
use crate::linalg::{gemm, Dense};
use crate::rng::{categorical_log, task_rng, Block};

impl Sampler {
    /// `S[g, j] = sum_i e_ij^2 w_g[i]` for a residual matrix e (n x m).
    fn weighted_ss(&self, e: &Dense) -> Dense {
        let mut e2 = e.clone();
        e2.data.iter_mut().for_each(|v| *v *= *v);
        let mut s = Dense::zeros(self.w.len(), e.ncol);
        gemm(&mut s, false, &self.w_mat, false, &e2, 1.0);
        s
    }

    /// Grid log-posterior of one column: `scale` is psi (1 for factors).
    fn grid_logpost(&self, ss: &Dense, col: usize, scale: f64, log_prior: &[f64]) -> Vec<f64> {
        (0..self.w.len())
            .map(|g| log_prior[g] - 0.5 * (self.logdet[g] + ss.get(g, col) / scale))
            .collect()
    }

    pub fn sample_trait_h2(&mut self, it: usize) {
        if self.w.len() < 2 {
            return;
        }
        let e = self.residuals();
        let ss = self.weighted_ss(&e);
        let seed = self.settings.seed;
        let this = &*self;
        let idx: Vec<usize> = (0..self.p)
            .into_par_iter()
            .map(|j| {
                let lp = this.grid_logpost(&ss, j, this.psi[j], &this.log_h2_prior);
                categorical_log(&mut task_rng(seed, Block::TraitH2, j, it), &lp)
            })
            .collect();
        self.h2_idx = idx;
    }

    /// Factor residuals `ft - xft B_F` (n x k).
    pub(crate) fn factor_residuals(&self) -> Dense {
        let mut e = self.ft.clone();
        gemm(&mut e, true, &self.xft, false, &self.bfmat, -1.0);
        e
    }

    pub fn sample_factor_h2(&mut self, it: usize) {
        if self.w.len() < 2 || self.k == 0 {
            return;
        }
        let e = self.factor_residuals();
        let ss = self.weighted_ss(&e);
        let seed = self.settings.seed;
        self.h2f_idx = (0..self.k)
            .map(|h| {
                let lp = self.grid_logpost(&ss, h, 1.0, &self.log_h2f_prior);
                categorical_log(&mut task_rng(seed, Block::FactorH2, h, it), &lp)
            })
            .collect();
    }
}
