//! Block 5: hyper-parameters of the shrinkage priors.
//!
//! Loadings (Bhattacharya & Dunson 2011, with the normal-gamma scaling by psi_j of block 2):
//! `lambda_jh | . ~ N(0, psi_j / (phi_jh tau_h))`, so
//! `phi_jh ~ Ga((nu + 1)/2, rate (nu + tau_h lambda_jh^2 / psi_j)/2)` and, with
//! `m_h = sum_j phi_jh lambda_jh^2 / psi_j` and `tau_h^(l) = tau_h / delta_l`,
//! `delta_1 ~ Ga(a1 + p k / 2, 1 + 1/2 sum_h tau_h^(1) m_h)`,
//! `delta_l ~ Ga(a2 + p (k - l + 1) / 2, 1 + 1/2 sum_{h >= l} tau_h^(l) m_h)` truncated to `>= delta_min`.
//!
//! Shared fixed-effect variances (README, section 1): for a penalised column l of X,
//! `sigma2_b_l ~ iG(shape + (p + k_l)/2, scale + 1/2 sum_j b_lj^2 / psi_j + 1/2 sum_h bF_lh^2)`, where k_l
//! counts the factor coefficients of the columns of X_F mapped to l.

use super::fixed::Fixed;
use super::state::{FactorState, ShrinkState, TraitState};
use crate::rng::{gamma_rate, gamma_rate_truncated, inv_gamma, task_rng, Block};

/// Rounds of the cheap delta update per iteration.
const DELTA_ROUNDS: usize = 3;

/// Block 5: local (phi) and column (delta) shrinkage of the loadings.
pub fn sample_loading_prior(fx: &Fixed, tr: &TraitState, shrink: &mut ShrinkState, it: usize) {
    let (p, k) = (fx.p, tr.lambda.ncol);
    if k == 0 {
        return;
    }
    let nu = fx.priors.lambda_nu;
    let mut rng = task_rng(fx.settings.seed, Block::Hyper, 0, it);
    let tau = shrink.tau();
    for h in 0..k {
        for j in 0..p {
            let l2 = tr.lambda.get(j, h).powi(2) / tr.psi[j];
            let v = gamma_rate(&mut rng, 0.5 * (nu + 1.0), 0.5 * (nu + tau[h] * l2));
            shrink.phi.set(j, h, v);
        }
    }
    let m: Vec<f64> = (0..k)
        .map(|h| (0..p).map(|j| shrink.phi.get(j, h) * tr.lambda.get(j, h).powi(2) / tr.psi[j]).sum())
        .collect();
    for _ in 0..DELTA_ROUNDS {
        for l in 0..k {
            let tau = shrink.tau();
            let rate = 1.0 + 0.5 * (l..k).map(|h| tau[h] / shrink.delta[l] * m[h]).sum::<f64>();
            let shape_add = 0.5 * (p * (k - l)) as f64;
            shrink.delta[l] = if l == 0 {
                gamma_rate(&mut rng, fx.priors.a1 + shape_add, rate)
            } else {
                gamma_rate_truncated(&mut rng, fx.priors.a2 + shape_add, rate, fx.priors.delta_min)
            };
        }
    }
}

/// Block 5: the shared fixed-effect variances of traits and factors.
pub fn sample_fixed_variances(fx: &Fixed, tr: &TraitState, fs: &FactorState, shrink: &mut ShrinkState, it: usize) {
    let mut rng = task_rng(fx.settings.seed, Block::Hyper, 1, it);
    let (shape0, scale0) = (fx.priors.b_shape, fx.priors.b_scale);
    let (p, k) = (fx.p, fs.ft.ncol);
    for l in 0..fx.b {
        if !fx.penalized[l] {
            continue;
        }
        let mut count = p;
        let mut ss: f64 = (0..p).map(|j| tr.b.get(l, j).powi(2) / tr.psi[j]).sum();
        for m in 0..fx.bf {
            if fx.xf_map[m] == Some(l) {
                count += k;
                ss += (0..k).map(|h| fs.bf.get(m, h).powi(2)).sum::<f64>();
            }
        }
        shrink.sigma2_b[l] = inv_gamma(&mut rng, shape0 + 0.5 * count as f64, scale0 + 0.5 * ss);
    }
    for m in 0..fx.bf {
        if fx.xf_map[m].is_none() && k > 0 {
            let ss: f64 = (0..k).map(|h| fs.bf.get(m, h).powi(2)).sum();
            shrink.sigma2_bf[m] = inv_gamma(&mut rng, shape0 + 0.5 * k as f64, scale0 + 0.5 * ss);
        }
    }
}
