//! Block 6 (burn-in only): keep the factors ordered by size.
//!
//! The MGPS prior shrinks later columns harder, so the chain mixes best when the largest factors come first;
//! re-ordering columns (loadings, scores, factor fixed effects, variance proportions and local shrinkage
//! together) leaves the likelihood unchanged. Done only during burn-in, so the saved chain is a plain chain.

use super::Sampler;
use crate::linalg::Dense;
use crate::rng::{gamma_rate, normal, task_rng, uniform, Block};

/// Adaptation probability `exp(B0 + B1 t)` at iteration t (Bhattacharya & Dunson 2011, section 3.2).
const B0: f64 = -1.0;
const B1: f64 = -5e-4;
/// Weight of the current draw in the moving average of the loadings that decides negligibility.
const EMA: f64 = 0.02;
/// Iterations a new factor is kept before it may be judged negligible.
const MIN_AGE: usize = 100;

impl Sampler {
    /// Size of factor h: `sum_j lambda_jh^2`, the variance it adds to the traits.
    pub fn factor_sizes(&self) -> Vec<f64> {
        (0..self.k).map(|h| self.lambda.col(h).iter().map(|v| v * v).sum()).collect()
    }

    pub fn reorder_factors(&mut self) {
        if self.k < 2 {
            return;
        }
        let size = self.factor_sizes();
        let mut order: Vec<usize> = (0..self.k).collect();
        order.sort_by(|&a, &b| size[b].partial_cmp(&size[a]).unwrap_or(std::cmp::Ordering::Equal));
        if order.iter().enumerate().all(|(i, &o)| i == o) {
            return;
        }
        self.lambda = permute_cols(&self.lambda, &order);
        self.lambda_avg = permute_cols(&self.lambda_avg, &order);
        self.col_age = order.iter().map(|&h| self.col_age[h]).collect();
        self.ft = permute_cols(&self.ft, &order);
        self.bfmat = permute_cols(&self.bfmat, &order);
        self.phi = permute_cols(&self.phi, &order);
        self.h2f_idx = order.iter().map(|&o| self.h2f_idx[o]).collect();
    }
}

impl Sampler {
    /// The adaptive rule of Bhattacharya & Dunson: with probability `exp(B0 + B1 t)`, drop the factors whose
    /// loadings are all below epsilon in absolute value (keeping at least one), or add one drawn from the
    /// prior when none is negligible and fewer than k_max are in use.
    pub fn adapt_factors(&mut self, it: usize) {
        let mut rng = task_rng(self.settings.seed, Block::Hyper, 3, it);
        if uniform(&mut rng) > (B0 + B1 * it as f64).exp() {
            return;
        }
        let eps = self.settings.adapt_epsilon;
        // Judged on a moving average of the loadings: single draws of a redundant column scatter around 0
        // with heavy tails, while a real factor's average stays away from 0.
        let negligible: Vec<usize> = (0..self.k)
            .filter(|&h| self.col_age[h] >= MIN_AGE && self.lambda_avg.col(h).iter().all(|v| v.abs() < eps))
            .collect();
        if negligible.is_empty() {
            // A new factor is added only once the last one has had time to show whether it is needed.
            if self.k < self.settings.k_max && self.col_age.iter().all(|&a| a >= MIN_AGE) {
                self.add_factor(&mut rng);
            }
        } else {
            let keep: Vec<usize> = (0..self.k).filter(|h| !negligible.contains(h)).collect();
            let keep = if keep.is_empty() { vec![0] } else { keep };
            if keep.len() < self.k {
                self.keep_factors(&keep);
            }
        }
    }

    /// Updates the moving average of the loadings (burn-in, with adaptation on).
    pub fn track_loadings(&mut self) {
        for (a, l) in self.lambda_avg.data.iter_mut().zip(&self.lambda.data) {
            *a = (1.0 - EMA) * *a + EMA * l;
        }
        self.col_age.iter_mut().for_each(|a| *a += 1);
    }

    fn keep_factors(&mut self, keep: &[usize]) {
        self.lambda_avg = permute_cols(&self.lambda_avg, keep);
        self.col_age = keep.iter().map(|&h| self.col_age[h]).collect();
        self.lambda = permute_cols(&self.lambda, keep);
        self.ft = permute_cols(&self.ft, keep);
        self.bfmat = permute_cols(&self.bfmat, keep);
        self.phi = permute_cols(&self.phi, keep);
        self.h2f_idx = keep.iter().map(|&h| self.h2f_idx[h]).collect();
        self.delta = keep.iter().map(|&h| self.delta[h]).collect();
        if let Some(x) = self.extra.as_mut() {
            x.uf = permute_cols(&x.uf, keep);
            x.of = permute_cols(&x.of, keep);
        }
        self.k = keep.len();
    }

    fn add_factor(&mut self, rng: &mut rand::rngs::ChaCha8Rng) {
        let (n, p) = (self.n, self.p);
        let nu = self.priors.lambda_nu;
        let delta = crate::rng::gamma_rate_truncated(rng, self.priors.a2, 1.0, self.priors.delta_min);
        let tau = self.tau().last().copied().unwrap_or(1.0) * delta;
        let g = self.h2f_idx.first().copied().unwrap_or(self.w.len() / 2);
        let phi: Vec<f64> = (0..p).map(|_| gamma_rate(rng, nu / 2.0, nu / 2.0)).collect();
        let lam: Vec<f64> = (0..p).map(|j| normal(rng) * (self.psi[j] / (phi[j] * tau)).sqrt()).collect();
        let f: Vec<f64> = (0..n).map(|i| normal(rng) / self.w[g][i].sqrt()).collect();
        push_col(&mut self.lambda_avg, &lam);
        self.col_age.push(0);
        push_col(&mut self.lambda, &lam);
        push_col(&mut self.phi, &phi);
        push_col(&mut self.ft, &f);
        let bf = self.bfmat.nrow;
        push_col(&mut self.bfmat, &vec![0.0; bf]);
        self.delta.push(delta);
        self.h2f_idx.push(g);
        if let Some(x) = self.extra.as_mut() {
            let r = x.uf.nrow;
            push_col(&mut x.uf, &vec![0.0; r]);
            push_col(&mut x.of, &vec![0.0; n]);
        }
        self.k += 1;
    }
}

fn push_col(m: &mut Dense, col: &[f64]) {
    debug_assert_eq!(col.len(), m.nrow);
    m.data.extend_from_slice(col);
    m.ncol += 1;
}

fn permute_cols(m: &Dense, order: &[usize]) -> Dense {
    m.select_cols(order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permute_keeps_columns_whole() {
        let m = Dense::from_vec(2, 3, vec![1., 2., 3., 4., 5., 6.]).unwrap();
        let p = permute_cols(&m, &[2, 0, 1]);
        assert_eq!(p.data, vec![5., 6., 1., 2., 3., 4.]);
    }
}
