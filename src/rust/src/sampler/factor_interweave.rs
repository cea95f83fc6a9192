//! Block 3b, second move: a factor's grid point again, with its other random effects held in their
//! non-centred form (ancillarity-sufficiency interweaving, Yu & Meng 2011).
//!
//! Block 3 moves `aF_h` given the scores `f_h` (its other effects `uF_h` integrated out); block 3b's first
//! move, given `uF_h` (scores integrated out). With few traits both `f_h` and `uF_h` pin the shares of the
//! other terms down, so a share that the data barely inform (a maternal or year term) moves slowly. This
//! move conditions instead on the standardised effects `v_m = uF_hm / sqrt(a_m)` (their prior `N(0, K_m)`
//! does not depend on the grid point), so a new point rescales every other effect:
//! `uF_hm = sqrt(a_gm) v_m`. With `o_m = Zt_m uF_hm` at the current point `g1` the scores' prior mean moves
//! by
//!
//! `delta_i(g) = sum_m (sqrt(a_gm / a_g1m) - 1) o_mi`,
//!
//! and, with `q_i`, `t_i` the statistics of block 3b at `g1` (scores integrated out, `d_ig = aR_g s_i + e_g`),
//! the trait residual `r_i - delta_i lambda_h ~ N(0, D_i + d_ig lambda_h lambda_h')` gives
//!
//! `log p(g | v, .) = log prior_g + sum_i [ -1/2 ln(1 + d_ig q_i) + delta_i t_i - 1/2 delta_i^2 q_i
//!                                       + 1/2 d_ig (t_i - delta_i q_i)^2 / (1 + d_ig q_i) ] + const`.
//!
//! The draw stays within the grid points whose active other terms are those of `g1` (the standardised
//! effects of an inactive term are not defined by the state), a Gibbs draw within a cell that contains the
//! current point. Centred then non-centred moves of one parameter, each an exact conditional draw, leave
//! the joint conditional invariant (the interweaving strategy of Yu & Meng).

use super::factor_cell::{ActiveTerm, CellSums};
use super::fixed::Fixed;
use super::state::FactorState;
use crate::linalg::Dense;
use crate::rng::{categorical_log, task_rng, Block};

/// Stream of this move in [`Block::FactorCollapsed`] (apart from the first move's `2h`, `2h + 1`).
const STREAM: usize = 1 << 40;

/// `c_m(g) = sqrt(a_gm / a_g1m) - 1` of the active terms.
fn ratios(fx: &Fixed, active: &[ActiveTerm], g1: usize, g: usize) -> Vec<f64> {
    let grid = &fx.priors.grid;
    active.iter().map(|tm| (grid.share(g, tm.term) / grid.share(g1, tm.term)).sqrt() - 1.0).collect()
}

/// Log-posterior (up to a constant) of factor h's grid point given its standardised other effects, from
/// block 3b's statistics `q`, `t` at the current point `g1`; minus infinity outside the cell of `g1`.
pub fn grid_logpost(fx: &Fixed, fs: &FactorState, h: usize, g1: usize, q: &[f64], t: &[f64]) -> Vec<f64> {
    grid_logpost_cell(fx, g1, &CellSums::new(fx, fs, h, g1, q, t, true))
}

/// [`grid_logpost`] from the cell's sums (`factor_cell.rs`): expanding the module doc's sum in `c(g)`,
///
/// `log prior_g - A0/2 + A1/2 - c'B + c'C c / 2 + c'T - c'Q c / 2`
///
/// (the first four per `(aR_g, e_g)` pair); `g1` is the current point, which fixes the ratios `c`.
pub fn grid_logpost_cell(fx: &Fixed, g1: usize, cell: &CellSums) -> Vec<f64> {
    let m = cell.active.len();
    let quad = |c: &[f64], a: &[f64]| -> f64 { (0..m).map(|i| c[i] * (0..m).map(|j| a[j * m + i] * c[j]).sum::<f64>()).sum() };
    let dot = |c: &[f64], a: &[f64]| -> f64 { c.iter().zip(a).map(|(x, y)| x * y).sum() };
    let mut lp = vec![f64::NEG_INFINITY; fx.n_grid()];
    for (&g, &pr) in cell.cand.iter().zip(&cell.pair) {
        let c = ratios(fx, &cell.active, g1, g);
        lp[g] = fx.tables.log_prior_factors[g] - 0.5 * cell.a0[pr] + 0.5 * cell.a1[pr] - dot(&c, &cell.b[pr])
            + 0.5 * quad(&c, &cell.c[pr])
            + dot(&c, &cell.t)
            - 0.5 * quad(&c, &cell.q);
    }
    lp
}

/// The move for factor h at point `g1` (block 3b's first move, scores still integrated out; `cell` its
/// cell's sums, with the offsets): returns the new point and, when it differs, rescales `uF_h`, its
/// offsets and the scores' prior means `mf[, h]`, and moves `t` to the new point (`t_i - delta_i q_i`) so
/// that the scores can be drawn next.
#[allow(clippy::too_many_arguments)]
pub fn sample(fx: &Fixed, fs: &mut FactorState, mf: &mut Dense, h: usize, g1: usize, cell: &CellSums, q: &[f64], t: &mut [f64], it: usize) -> usize {
    if cell.active.is_empty() {
        return g1;
    }
    let lp = grid_logpost_cell(fx, g1, cell);
    let g = categorical_log(&mut task_rng(fx.settings.seed, Block::FactorCollapsed, STREAM | h, it), &lp);
    if g == g1 || !lp[g].is_finite() {
        return g1;
    }
    let c = ratios(fx, &cell.active, g1, g);
    let mut delta = vec![0.0; fx.n];
    for (cm, tm) in c.iter().zip(&cell.active) {
        delta.iter_mut().zip(&tm.o).for_each(|(d, o)| *d += cm * o);
    }
    t.iter_mut().zip(q).zip(&delta).for_each(|((ti, qi), di)| *ti -= di * qi);
    mf.col_mut(h).iter_mut().zip(&delta).for_each(|(m, di)| *m += di);
    if let (Some(x), Some(eff)) = (&fx.others, fs.other.as_mut()) {
        for (cm, tm) in c.iter().zip(&cell.active) {
            let Some(term) = x.terms.iter().find(|o| o.term == tm.term) else { continue };
            eff.u.col_mut(h)[term.offset..term.offset + term.r].iter_mut().for_each(|v| *v *= 1.0 + cm);
        }
        eff.o.col_mut(h).iter_mut().zip(&delta).for_each(|(o, di)| *o += di);
    }
    g
}
