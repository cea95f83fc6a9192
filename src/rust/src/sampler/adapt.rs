//! Block 6 (burn-in only): keep the factors ordered by size.
//!
//! The MGPS prior shrinks later columns harder, so the chain mixes best when the largest factors come first;
//! re-ordering columns (loadings, scores, factor fixed effects, variance proportions and local shrinkage
//! together) leaves the likelihood unchanged. Done only during burn-in, so the saved chain is a plain chain.

use super::Sampler;
use crate::linalg::Dense;

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
        self.ft = permute_cols(&self.ft, &order);
        self.bfmat = permute_cols(&self.bfmat, &order);
        self.phi = permute_cols(&self.phi, &order);
        self.h2f_idx = order.iter().map(|&o| self.h2f_idx[o]).collect();
    }
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
