//! Block 2b: a scale move for traits on the liability scale (probit and ordinal traits).
//!
//! Their trait-specific variance is fixed, `psi_j = 1`, but the latent traits' total variance
//! `1 + sum_h lambda_jh^2` is free, and the data augmentation mixes slowly along that direction: given the
//! latent values the coefficients are pinned, given the coefficients the latent values are (seen on the rice
//! panel: effective sample size 7 of 1200 for the intercept of a binary trait sharing factors with others,
//! 272 when fitted alone). The move rescales, for one such trait j, everything that lives on its liability
//! scale by one factor c > 0: the latent column `h_j` (and `yt_j`), `b_j`, `lambda_j`, the other terms'
//! effects `u_j` and the cut-points. The likelihood of the classes is unchanged (thresholds scale with h),
//! the Gaussian parts of the posterior have the quadratic form
//!
//! `S = r' V(a_j)^-1 r + sum_l b_lj^2 / sigma2_l + sum_h phi_jh tau_h lambda_jh^2 + u_j' K_e(a_j)^-1 u_j`
//!
//! (`r = yt_j - O_j - xt b_j - ft lambda_j` in the rotated space, the rotated term integrated out, flat
//! coefficients and cut-points contributing only their Jacobian), so with d scaled coordinates the
//! generalized Gibbs move of Liu & Wu (1999, JASA 94:1264) on the multiplicative group, Haar measure
//! `dc / c`, draws `c^2 ~ Gamma(d / 2, rate S / 2)` and leaves the posterior invariant. Traits with an
//! offset are left alone (their thresholds `-o` do not scale).

use rayon::prelude::*;

use crate::link::{LinkState, TraitParams};
use crate::linalg::Dense;
use crate::model::Family;
use crate::rng::{gamma_rate, task_rng, Block};

use super::fixed::Fixed;
use super::residuals;
use super::state::{ShrinkState, TraitState};

/// The liability-scale traits the move applies to: (trait, position among the latent traits).
fn eligible(fx: &Fixed) -> Vec<(usize, usize)> {
    fx.obs
        .latent
        .iter()
        .enumerate()
        .filter(|&(_, &j)| fx.obs.family(j).fixed_variance())
        .filter(|&(_, &j)| fx.obs.offset.as_ref().is_none_or(|o| o.col(j).iter().all(|&v| v == 0.0)))
        .map(|(c, &j)| (j, c))
        .collect()
}

/// Draws the scale factor of every liability-scale trait and applies it.
pub fn sample(fx: &Fixed, ft: &Dense, shrink: &ShrinkState, tr: &mut TraitState, link: &mut LinkState, yt: &mut Dense, it: usize) {
    let traits = eligible(fx);
    if traits.is_empty() {
        return;
    }
    let k = ft.ncol;
    let tau = shrink.tau();
    let e = residuals::traits(fx, yt, tr, ft);
    let seed = fx.settings.seed;
    let cur = &*tr;
    let scales: Vec<(usize, usize, f64)> = traits
        .par_iter()
        .map(|&(j, c)| {
            let g = cur.h2[j];
            let w = &fx.tables.w[g];
            let mut s: f64 = e.col(j).iter().zip(w).map(|(r, wi)| r * r * wi).sum();
            let mut d = fx.n + fx.b + k;
            for l in 0..fx.b {
                if fx.penalized[l] {
                    s += cur.b.get(l, j).powi(2) / shrink.sigma2_b[l];
                }
            }
            for h in 0..k {
                s += shrink.phi.get(j, h) * tau[h] * cur.lambda.get(j, h).powi(2);
            }
            if let (Some(x), Some(u)) = (&fx.others, &cur.other) {
                // Effects of inactive terms (share 0) are exactly 0: they are not coordinates of the move.
                let (q, active) = x.prior_quad(g, u.u.col(j), &fx.priors.grid);
                s += q;
                d += active;
            }
            if let Family::Ordinal { classes } = fx.obs.family(j) {
                d += classes.saturating_sub(2);
            }
            let mut rng = task_rng(seed, Block::LinkParams, (1 << 40) | j, it);
            let c2 = gamma_rate(&mut rng, 0.5 * d as f64, 0.5 * s);
            (j, c, if c2.is_finite() && c2 > 0.0 { c2.sqrt() } else { 1.0 })
        })
        .collect();
    for (j, c, f) in scales {
        link.h.col_mut(c).iter_mut().for_each(|v| *v *= f);
        yt.col_mut(j).iter_mut().for_each(|v| *v *= f);
        for l in 0..fx.b {
            let v = tr.b.get(l, j);
            tr.b.set(l, j, v * f);
        }
        for h in 0..k {
            let v = tr.lambda.get(j, h);
            tr.lambda.set(j, h, v * f);
        }
        if let Some(x) = tr.other.as_mut() {
            x.u.col_mut(j).iter_mut().for_each(|v| *v *= f);
            x.o.col_mut(j).iter_mut().for_each(|v| *v *= f);
        }
        if let TraitParams::Ordinal(cp) = &mut link.params[c] {
            // g_1 = 0 and the infinite ends stay put.
            cp.g.iter_mut().filter(|v| v.is_finite()).for_each(|v| *v *= f);
        }
    }
}
