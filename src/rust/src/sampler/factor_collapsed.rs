//! Block 3b: each factor's grid point with its scores integrated out, then its scores.
//!
//! With few traits the scores of a factor carry little information from the data, so `aF_h | f_h` (block
//! 3) and `f_h | aF_h` (block 4) are strongly dependent and a plain Gibbs sweep moves `aF_h` slowly. This
//! block draws, for each factor h in turn, the pair `(aF_h, f_h)` from its joint conditional given
//! everything else: first `aF_h` with `f_h` integrated out, then `f_h` from its full conditional at the new
//! point (a partially collapsed Gibbs step, van Dyk & Park 2008; the scores are drawn right after the step
//! that marginalised them, so the sweep stays a valid Gibbs sampler).
//!
//! In the rotated space, with the other factors and the traits' other effects held fixed, row i of the
//! trait residual `r_i = yt_i - O_i - xt_i B - sum_{l != h} ft_il lambda_l - m_i lambda_h` (p-vector;
//! `m_i = xft_i bF_h + OF_ih` the prior mean of the score) is
//!
//! `r_i = z_i lambda_h + e_i`,  `z_i ~ N(0, d_i(aF_h))`,  `e_i ~ N(0, D_i)`,  `D_i = diag(psi_j / w_i(a_j))`,
//!
//! so, with `z_i` integrated out, `r_i ~ N(0, D_i + d_i lambda_h lambda_h')`. By the determinant lemma and
//! Sherman-Morrison, with `q_i = lambda_h' D_i^-1 lambda_h` and `t_i = lambda_h' D_i^-1 r_i`,
//!
//! `log p(aF_h = g | .) = log prior_g + sum_i [ -1/2 ln(1 + d_ig q_i) + 1/2 d_ig t_i^2 / (1 + d_ig q_i) ]
//!                        + log N(uF_h | 0, K_e(g))  + const`,
//!
//! `d_ig = aR_g s_i + e_g` (rotated term's share and residual share of grid point g). The statistics of
//! all factors come from one n x p pass and one (n x p)(p x k) product per iteration, and are updated in
//! O(nk) after each factor's move (see [`Collapsed`]); the grid costs O(n) per distinct `(aR_g, e_g)`; then
//! `z_i | g ~ N(t_i / (q_i + 1/d_ig), 1 / (q_i + 1/d_ig))` and `ft_ih = m_i + z_i`.
//!
//! **Other terms.** Their effects on the factor, `uF_h`, are explicit state here (block 3 integrates them
//! out when it moves `aF_h`; this block conditions on them): the last term above is their prior,
//! `-1/2 sum_m [r_m ln a_gm + ln|K_m| + uF_hm' K_m^-1 uF_hm / a_gm]` over the terms active at g. The
//! draw is restricted to the grid points whose set of active other terms is the current point's (a
//! share of 0 makes `uF_hm = 0` a point mass, so densities on either side of it are not comparable); a
//! Gibbs draw from the conditional restricted to the cell of a partition that contains the current point
//! leaves the conditional invariant. Points of zero prior weight (terms the factors do not have) are
//! excluded as everywhere else. Conditioning on `uF_h` ties the other terms' shares to those effects, so
//! the point is drawn a second time given the effects standardised ([`super::factor_interweave`]) before
//! the scores are drawn. Both draws use the row sums of [`super::factor_cell`].

use rayon::prelude::*;

use super::factor_cell::CellSums;
pub use super::factor_cell::candidates;
use super::factor_interweave;
use super::fixed::Fixed;
use super::scores::{trait_side, TraitSide};
use super::state::{FactorState, TraitState};
use crate::linalg::Dense;
use crate::rng::{categorical_log, normal, task_rng, Block};

/// Rows per parallel task (fixed, so draws do not depend on the thread count).
const ROWS: usize = 64;

/// What the factors' collapsed steps share, kept up to date from factor to factor without an n x p
/// residual: with `Wt_ij = w_i(a_j) / psi_j` and `E` the traits' residual given every factor,
///
/// `S = (E o Wt) Lambda` (n x k) and `C_i = Lambda' diag(Wt_i.) Lambda` (k x k per row),
///
/// so that `q_i = C_i[h, h]` and `t_i = S_ih + (ft_ih - m_ih) q_i`, and moving the scores of factor h by
/// `delta` changes `S_i.` by `-delta_i C_i[h, .]`. `S = (E0 o Wt) Lambda - C_i ft_i` from the residual `E0`
/// without the factors (one n x p pass and one product, in the chain's scratch array), and
/// `C_i = sum_g w_g[i] M_g` with `M_g = sum_{j at grid point g} lambda_j lambda_j' / psi_j` (traits grouped
/// by grid point, as in block 4).
pub struct Collapsed {
    /// n x k.
    s: Dense,
    /// n blocks of k x k (column-major), row after row.
    c: Vec<f64>,
    /// `xft B_F + OF` (n x k): the scores' prior means.
    pub mf: Dense,
    k: usize,
}

impl Collapsed {
    pub fn new(fx: &Fixed, yt: &Dense, tr: &TraitState, fs: &FactorState, scratch: &mut Dense) -> Self {
        let (n, k) = (fx.n, fs.ft.ncol);
        // (E0 o Wt) Lambda, the prior means and M_g: what block 4 computes too
        let TraitSide { rhs: mut s, mf, groups } = trait_side(fx, yt, tr, fs, scratch);
        let mut c = vec![0.0; n * k * k];
        c.par_chunks_mut((k * k).max(1)).enumerate().for_each(|(i, ci)| {
            for (g, m) in &groups {
                let wi = fx.tables.w[*g][i];
                ci.iter_mut().zip(m).for_each(|(v, mv)| *v += wi * mv);
            }
        });
        // S = (E0 o Wt) Lambda - C_i ft_i
        s.data.par_chunks_mut(n.max(1)).enumerate().for_each(|(h, col)| {
            for (i, v) in col.iter_mut().enumerate() {
                let ci = &c[i * k * k..(i + 1) * k * k];
                *v -= (0..k).map(|l| ci[l * k + h] * fs.ft.get(i, l)).sum::<f64>();
            }
        });
        Collapsed { s, c, mf, k }
    }

    /// `q_i = sum_j lambda_jh^2 Wt_ij` and `t_i = sum_j lambda_jh Wt_ij r_ij`, with
    /// `r_ij = e_ij + (ft_ih - m_ih) lambda_jh` (factor h put back, less its prior mean).
    pub fn stats(&self, fs: &FactorState, h: usize) -> (Vec<f64>, Vec<f64>) {
        let k = self.k;
        let (f, m, sh) = (fs.ft.col(h), self.mf.col(h), self.s.col(h));
        let q: Vec<f64> = (0..f.len()).map(|i| self.c[i * k * k + h * k + h]).collect();
        let t = (0..f.len()).map(|i| sh[i] + (f[i] - m[i]) * q[i]).collect();
        (q, t)
    }

    /// The scores of factor h moved by `delta`: `S_i. -= delta_i C_i[h, .]`.
    fn moved(&mut self, h: usize, delta: &[f64]) {
        let (k, n) = (self.k, delta.len());
        let c = &self.c;
        self.s.data.par_chunks_mut(n.max(1)).enumerate().for_each(|(l, col)| {
            for (i, v) in col.iter_mut().enumerate() {
                *v -= delta[i] * c[i * k * k + l * k + h];
            }
        });
    }
}

/// Log-posterior (up to a constant) of factor h's grid point with its scores integrated out, from the
/// row statistics `q`, `t` of [`Collapsed::stats`]; minus infinity outside its cell ([`candidates`]).
pub fn grid_logpost(fx: &Fixed, fs: &FactorState, h: usize, q: &[f64], t: &[f64]) -> Vec<f64> {
    grid_logpost_cell(fx, fs, h, &CellSums::new(fx, fs, h, fs.h2[h], q, t, false))
}

/// [`grid_logpost`] from the cell's sums: `log prior_g - A0/2 + A1/2` plus the prior of the factor's other
/// effects, `-1/2 sum_m [r_m ln a_gm + ln|K_m| + uF_hm' K_m^-1 uF_hm / a_gm]` over the active terms.
pub fn grid_logpost_cell(fx: &Fixed, fs: &FactorState, h: usize, cell: &CellSums) -> Vec<f64> {
    // Prior of the factor's other effects: quadratic forms uF_hm' K_m^-1 uF_hm.
    let quads: Vec<f64> = match (&fx.others, &fs.other) {
        (Some(x), Some(eff)) => {
            let u = eff.u.col(h);
            x.terms
                .iter()
                .map(|tm| {
                    let um = &u[tm.offset..tm.offset + tm.r];
                    match &tm.kinv {
                        None => um.iter().map(|v| v * v).sum::<f64>(),
                        Some(ki) => (0..tm.r).map(|j| um[j] * ki.col(j).iter().zip(um).map(|(a, b)| a * b).sum::<f64>()).sum(),
                    }
                })
                .collect()
        }
        _ => Vec::new(),
    };
    let mut lp = vec![f64::NEG_INFINITY; fx.n_grid()];
    for (&g, &pr) in cell.cand.iter().zip(&cell.pair) {
        let mut l = fx.tables.log_prior_factors[g] - 0.5 * cell.a0[pr] + 0.5 * cell.a1[pr];
        if let Some(x) = &fx.others {
            for (tm, qm) in x.terms.iter().zip(&quads) {
                let a = fx.priors.grid.share(g, tm.term);
                if a > 0.0 {
                    l -= 0.5 * (tm.r as f64 * a.ln() + tm.logdet_k + qm / a);
                }
            }
        }
        lp[g] = l;
    }
    lp
}

/// Block 3b: `(aF_h, f_h)` for each factor in turn, `aF_h` with `f_h` integrated out (with other terms
/// twice: given `uF_h`, then given it standardised, [`factor_interweave`]), then `f_h`.
/// `scratch` is the chain's reused n x p space (see [`super::workspace`]).
pub fn sample(fx: &Fixed, yt: &Dense, tr: &TraitState, fs: &mut FactorState, it: usize, scratch: &mut Dense) {
    let (n, k) = (fx.n, fs.ft.ncol);
    if k == 0 || fx.n_grid() < 2 {
        return;
    }
    let mut st = Collapsed::new(fx, yt, tr, fs, scratch);
    let seed = fx.settings.seed;
    let s = &fx.rot.s;
    for h in 0..k {
        let (q, mut t) = st.stats(fs, h);
        let cell = CellSums::new(fx, fs, h, fs.h2[h], &q, &t, true);
        let lp = grid_logpost_cell(fx, fs, h, &cell);
        let g = categorical_log(&mut task_rng(seed, Block::FactorCollapsed, 2 * h, it), &lp);
        if !lp[g].is_finite() {
            continue;
        }
        // Again with the other effects standardised (they and the prior means move with the point).
        let g = factor_interweave::sample(fx, fs, &mut st.mf, h, g, &cell, &q, &mut t, it);
        let (a, e) = (fx.tables.rot_share[g], fx.tables.efrac[g]);
        let m = st.mf.col(h);
        let z: Vec<f64> = (0..n.div_ceil(ROWS))
            .into_par_iter()
            .flat_map_iter(|c| {
                let (lo, hi) = (c * ROWS, ((c + 1) * ROWS).min(n));
                let mut rng = task_rng(seed, Block::FactorCollapsed, ((2 * h + 1) << 24) | c, it);
                let (q, t) = (&q, &t);
                (lo..hi).map(move |i| {
                    let d = a * s[i] + e;
                    let u = normal(&mut rng);
                    if d <= 0.0 {
                        return 0.0;
                    }
                    let prec = q[i] + 1.0 / d;
                    t[i] / prec + u / prec.sqrt()
                })
            })
            .collect();
        // New scores; the statistics of the other factors follow.
        let delta: Vec<f64> = (0..n).map(|i| m[i] + z[i] - fs.ft.get(i, h)).collect();
        st.moved(h, &delta);
        for (f, dv) in fs.ft.col_mut(h).iter_mut().zip(&delta) {
            *f += dv;
        }
        fs.h2[h] = g;
    }
}
