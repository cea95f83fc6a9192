//! Block 4: factor scores, one independent k-variate normal per row of the rotated space.
//!
//! Row i of `ft` has prior `N(xft_i B_F, diag(dF_ih))`, `dF_ih = h2F_h s_i + 1 - h2F_h`, and enters trait j
//! as `yt_ij - xt_i b_j = lambda_j' ft_i + e`, `e ~ N(0, psi_j d_i(h2_j))`. Its conditional precision and
//! mean are
//!
//! `P_i = sum_g w_i(g) M_g + diag(1 / dF_i)`,  `M_g = sum_{j in g} lambda_j lambda_j' / psi_j`,
//! `P_i mu_i = [(E0 o Wt) Lambda]_i + (xft_i B_F) / dF_i`,  `Wt_ij = w_i(h2_j) / psi_j`,  `E0 = yt - xt B`,
//!
//! so the per-row work is O(G k^2 + k^3) whatever p is (traits grouped by grid point).

use rayon::prelude::*;

use super::fixed::Fixed;
use super::numerics::Failures;
use super::residuals::trait_target_into;
use super::state::{FactorState, TraitState};
use crate::linalg::{cholesky_in_place, gemm, solve_lower, solve_upper_t, Dense};
use crate::rng::{normal, task_rng, Block};

/// Rows per parallel task (fixed, so draws do not depend on the thread count).
const ROWS: usize = 32;

/// What the traits and the factors' fixed effects tell the scores (shared with block 3b,
/// `factor_collapsed.rs`): `rhs = (E0 o Wt) Lambda` (n x k), the scores' prior means
/// `mf = xft B_F + OF` (n x k), and `M_g` (k x k, column-major) for each occupied grid point g.
pub(super) struct TraitSide {
    pub rhs: Dense,
    pub mf: Dense,
    pub groups: Vec<(usize, Vec<f64>)>,
}

/// [`TraitSide`] of the current state; `scratch` is reused n x p space (see [`super::workspace`]).
pub(super) fn trait_side(fx: &Fixed, yt: &Dense, tr: &TraitState, fs: &FactorState, scratch: &mut Dense) -> TraitSide {
    let (n, k) = (fx.n, fs.ft.ncol);
    // Right-hand side from the traits: (E0 o Wt) Lambda.
    trait_target_into(yt, tr, scratch);
    let e0 = scratch;
    gemm(e0, true, &fx.xt, false, &tr.b, -1.0);
    {
        let (w, psi, h2_idx) = (&fx.tables.w, &tr.psi, &tr.h2);
        e0.data.par_chunks_mut(n).enumerate().for_each(|(j, col)| {
            let wj = &w[h2_idx[j]];
            let ip = 1.0 / psi[j];
            for (v, wi) in col.iter_mut().zip(wj) {
                *v *= wi * ip;
            }
        });
    }
    let mut rhs = Dense::zeros(n, k);
    gemm(&mut rhs, false, e0, false, &tr.lambda, 1.0);
    // Prior mean of the scores.
    let mut mf = Dense::zeros(n, k);
    gemm(&mut mf, false, &fx.xft, false, &fs.bf, 1.0);
    if let Some(x) = &fs.other {
        mf.data.iter_mut().zip(&x.o.data).for_each(|(a, b)| *a += b);
    }

    // M_g for each occupied grid point.
    let groups: Vec<(usize, Vec<f64>)> = fx
        .groups(&tr.h2)
        .into_iter()
        .map(|(g, traits)| {
            let mut lg = Dense::zeros(traits.len(), k);
            for (r, &j) in traits.iter().enumerate() {
                let s = 1.0 / tr.psi[j].sqrt();
                for h in 0..k {
                    lg.set(r, h, tr.lambda.get(j, h) * s);
                }
            }
            let mut m = Dense::zeros(k, k);
            gemm(&mut m, false, &lg, true, &lg, 1.0);
            (g, m.data)
        })
        .collect();
    TraitSide { rhs, mf, groups }
}

/// Block 4: new factor scores `fs.ft` given the traits.
/// `scratch` is reused n x p space (see [`super::workspace`]).
pub fn sample(fx: &Fixed, yt: &Dense, tr: &TraitState, fs: &mut FactorState, it: usize, scratch: &mut Dense, failures: &Failures) {
    let (n, k) = (fx.n, fs.ft.ncol);
    if k == 0 {
        return;
    }
    let TraitSide { rhs, mf, groups } = trait_side(fx, yt, tr, fs, scratch);

    let h2f: Vec<f64> = fs.h2.iter().map(|&g| fx.tables.rot_share[g]).collect();
    let ef: Vec<f64> = fs.h2.iter().map(|&g| fx.tables.efrac[g]).collect();
    let s = &fx.rot.s;
    let w = &fx.tables.w;
    let seed = fx.settings.seed;
    let new_rows: Vec<Vec<f64>> = (0..n.div_ceil(ROWS))
        .into_par_iter()
        .map(|chunk| {
            let lo = chunk * ROWS;
            let hi = (lo + ROWS).min(n);
            let mut out = vec![0.0; (hi - lo) * k];
            let mut prec = vec![0.0; k * k];
            let mut mu = vec![0.0; k];
            for i in lo..hi {
                prec.iter_mut().for_each(|v| *v = 0.0);
                for (g, m) in &groups {
                    let wi = w[*g][i];
                    for (pv, mv) in prec.iter_mut().zip(m) {
                        *pv += wi * mv;
                    }
                }
                for h in 0..k {
                    let dfi = h2f[h] * s[i] + ef[h];
                    prec[h * k + h] += 1.0 / dfi;
                    mu[h] = rhs.get(i, h) + mf.get(i, h) / dfi;
                }
                let row = &mut out[(i - lo) * k..(i - lo + 1) * k];
                if !cholesky_in_place(&mut prec, k) {
                    // Not reachable for a positive prior precision; keep the row's current values, counted.
                    Failures::add(&failures.scores);
                    row.fill(f64::NAN);
                    continue;
                }
                let mut rng = task_rng(seed, Block::Scores, i, it);
                solve_lower(&prec, k, &mut mu);
                for v in mu.iter_mut() {
                    *v += normal(&mut rng);
                }
                solve_upper_t(&prec, k, &mut mu);
                row.copy_from_slice(&mu);
            }
            out
        })
        .collect();
    for (chunk, rows) in new_rows.iter().enumerate() {
        let lo = chunk * ROWS;
        for (r, vals) in rows.chunks(k).enumerate() {
            if vals.iter().any(|v| v.is_nan()) {
                continue;
            }
            for h in 0..k {
                fs.ft.set(lo + r, h, vals[h]);
            }
        }
    }
}
