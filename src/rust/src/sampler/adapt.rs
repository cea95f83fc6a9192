//! Block 6 (burn-in only): the number of factors and their order.
//!
//! The MGPS prior shrinks later columns harder, so the chain mixes best when the largest factors come first;
//! re-ordering columns (loadings, scores, factor fixed effects, variance proportions and local shrinkage
//! together) leaves the likelihood unchanged. Done only during burn-in, so the saved chain is a plain chain.

use super::fixed::Fixed;
use super::state::ChainState;
use crate::linalg::Dense;
use crate::rng::{gamma_rate, normal, task_rng, uniform, Block};

/// Adaptation probability `exp(B0 + B1 t)` at iteration t (Bhattacharya & Dunson 2011, section 3.2).
const B0: f64 = -1.0;
const B1: f64 = -5e-4;
/// Weight of the current draw in the moving average of the loadings that decides negligibility.
const EMA: f64 = 0.02;
/// Iterations a new factor is kept before it may be judged negligible.
const MIN_AGE: usize = 100;

/// Size of factor h: `sum_j lambda_jh^2`, the variance it adds to the traits.
pub fn factor_sizes(st: &ChainState) -> Vec<f64> {
    let l = &st.traits.lambda;
    (0..l.ncol).map(|h| l.col(h).iter().map(|v| v * v).sum()).collect()
}

/// Re-orders the factors by size, largest first (every per-factor quantity moves with its factor).
pub fn reorder_factors(st: &mut ChainState) {
    if st.k() < 2 {
        return;
    }
    let size = factor_sizes(st);
    let mut order: Vec<usize> = (0..st.k()).collect();
    order.sort_by(|&a, &b| size[b].partial_cmp(&size[a]).unwrap_or(std::cmp::Ordering::Equal));
    if order.iter().enumerate().all(|(i, &o)| i == o) {
        return;
    }
    st.traits.lambda = permute_cols(&st.traits.lambda, &order);
    st.adapt.lambda_avg = permute_cols(&st.adapt.lambda_avg, &order);
    st.adapt.col_age = order.iter().map(|&h| st.adapt.col_age[h]).collect();
    st.factors.ft = permute_cols(&st.factors.ft, &order);
    st.factors.bf = permute_cols(&st.factors.bf, &order);
    st.shrink.phi = permute_cols(&st.shrink.phi, &order);
    st.factors.h2 = order.iter().map(|&o| st.factors.h2[o]).collect();
    if let Some(x) = st.factors.other.as_mut() {
        x.u = permute_cols(&x.u, &order);
        x.o = permute_cols(&x.o, &order);
    }
}

/// The adaptive rule of Bhattacharya & Dunson: with probability `exp(B0 + B1 t)`, drop the factors whose
/// loadings are all below epsilon in absolute value (keeping at least one), or add one drawn from the
/// prior when none is negligible and fewer than k_max are in use.
pub fn adapt_factors(fx: &Fixed, st: &mut ChainState, it: usize) {
    let mut rng = task_rng(fx.settings.seed, Block::Hyper, 3, it);
    if uniform(&mut rng) > (B0 + B1 * it as f64).exp() {
        return;
    }
    let eps = fx.settings.adapt_epsilon;
    let k = st.k();
    let ad = &st.adapt;
    // Judged on a moving average of the loadings: single draws of a redundant column scatter around 0
    // with heavy tails, while a real factor's average stays away from 0.
    let negligible: Vec<usize> =
        (0..k).filter(|&h| ad.col_age[h] >= MIN_AGE && ad.lambda_avg.col(h).iter().all(|v| v.abs() < eps)).collect();
    if negligible.is_empty() {
        // A new factor is added only once the last one has had time to show whether it is needed.
        if k < fx.settings.k_max && ad.col_age.iter().all(|&a| a >= MIN_AGE) {
            add_factor(fx, st, &mut rng);
        }
    } else {
        let keep: Vec<usize> = (0..k).filter(|h| !negligible.contains(h)).collect();
        let keep = if keep.is_empty() { vec![0] } else { keep };
        if keep.len() < k {
            keep_factors(st, &keep);
        }
    }
}

/// Updates the moving average of the loadings (burn-in, with adaptation on).
pub fn track_loadings(st: &mut ChainState) {
    for (a, l) in st.adapt.lambda_avg.data.iter_mut().zip(&st.traits.lambda.data) {
        *a = (1.0 - EMA) * *a + EMA * l;
    }
    st.adapt.col_age.iter_mut().for_each(|a| *a += 1);
}

fn keep_factors(st: &mut ChainState, keep: &[usize]) {
    st.adapt.lambda_avg = permute_cols(&st.adapt.lambda_avg, keep);
    st.adapt.col_age = keep.iter().map(|&h| st.adapt.col_age[h]).collect();
    st.traits.lambda = permute_cols(&st.traits.lambda, keep);
    st.factors.ft = permute_cols(&st.factors.ft, keep);
    st.factors.bf = permute_cols(&st.factors.bf, keep);
    st.shrink.phi = permute_cols(&st.shrink.phi, keep);
    st.factors.h2 = keep.iter().map(|&h| st.factors.h2[h]).collect();
    st.shrink.delta = keep.iter().map(|&h| st.shrink.delta[h]).collect();
    if let Some(x) = st.factors.other.as_mut() {
        x.u = permute_cols(&x.u, keep);
        x.o = permute_cols(&x.o, keep);
    }
}

fn add_factor(fx: &Fixed, st: &mut ChainState, rng: &mut rand::rngs::ChaCha8Rng) {
    let (n, p) = (fx.n, fx.p);
    let nu = fx.priors.lambda_nu;
    let delta = crate::rng::gamma_rate_truncated(rng, fx.priors.a2, 1.0, fx.priors.delta_min);
    let tau = st.shrink.tau().last().copied().unwrap_or(1.0) * delta;
    let g = st.factors.h2.first().copied().unwrap_or(fx.n_grid() / 2);
    let phi: Vec<f64> = (0..p).map(|_| gamma_rate(rng, nu / 2.0, nu / 2.0)).collect();
    let lam: Vec<f64> = (0..p).map(|j| normal(rng) * (st.traits.psi[j] / (phi[j] * tau)).sqrt()).collect();
    let f: Vec<f64> = (0..n).map(|i| normal(rng) / fx.tables.w[g][i].sqrt()).collect();
    push_col(&mut st.adapt.lambda_avg, &lam);
    st.adapt.col_age.push(0);
    push_col(&mut st.traits.lambda, &lam);
    push_col(&mut st.shrink.phi, &phi);
    push_col(&mut st.factors.ft, &f);
    let bf = st.factors.bf.nrow;
    push_col(&mut st.factors.bf, &vec![0.0; bf]);
    st.shrink.delta.push(delta);
    st.factors.h2.push(g);
    if let Some(x) = st.factors.other.as_mut() {
        let r = x.u.nrow;
        push_col(&mut x.u, &vec![0.0; r]);
        push_col(&mut x.o, &vec![0.0; n]);
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
