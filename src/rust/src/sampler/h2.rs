//! Variance proportions on their discrete grid, for traits (block 2) and factors (block 3).
//!
//! Given its residual `r` in the rotated space, a trait's log-likelihood at grid point g is
//!
//! `l_g = -1/2 ( sum_i ln(psi d_ig) + sum_i r_i^2 / (psi d_ig) )`,  `d_ig = h2_g s_i + 1 - h2_g`,
//!
//! (factors: psi = 1). For all traits at once the sums `sum_i r_ij^2 / d_ig` are one (G x n) by (n x p)
//! product on the squared residuals; the draw is a categorical over `l_g + ln(prior_g)`.

use rayon::prelude::*;

use super::fixed::Fixed;
use super::others::OtherTerms;
use super::residuals;
use super::state::{FactorState, TraitState};
use crate::linalg::{gemm, Dense};
use crate::model::GridRoute;
use crate::rng::{categorical_log, task_rng, uniform, Block};

/// `S[g, j] = sum_i e_ij^2 w_g[i]` for a residual matrix e (n x m), which is squared in place.
fn weighted_ss(fx: &Fixed, e: &mut Dense) -> Dense {
    e.data.par_chunks_mut(e.nrow.max(1)).for_each(|c| c.iter_mut().for_each(|v| *v *= *v));
    let mut s = Dense::zeros(fx.n_grid(), e.ncol);
    gemm(&mut s, false, &fx.tables.w_mat, false, e, 1.0);
    s
}

/// Grid log-posterior of one column: `scale` is psi (1 for factors).
fn grid_logpost(fx: &Fixed, ss: &Dense, col: usize, scale: f64, log_prior: &[f64]) -> Vec<f64> {
    (0..fx.n_grid())
        .map(|g| log_prior[g] - 0.5 * (fx.tables.logdet[g] + ss.get(g, col) / scale))
        .collect()
}

/// Block 2, second step: the grid point of every trait (and, with other terms, their effects on the
/// traits right after). `scratch` is reused n x p space (see [`super::workspace`]).
pub fn sample_traits(fx: &Fixed, yt: &Dense, ft: &Dense, tr: &mut TraitState, it: usize, scratch: &mut Dense) {
    residuals::traits_marginal_into(fx, yt, tr, ft, scratch);
    let (idx, u) = draw_grid(fx, scratch, &tr.psi, &fx.tables.log_prior_traits, &tr.h2, Block::TraitH2, it);
    tr.h2 = idx;
    if let (Some(u), Some(x), Some(eff)) = (u, fx.others.as_ref(), tr.other.as_mut()) {
        eff.set(&x.zt, u);
    }
}

/// Block 3, second step: the grid point of every factor (and their other effects).
pub fn sample_factors(fx: &Fixed, fs: &mut FactorState, it: usize) {
    let k = fs.ft.ncol;
    if k == 0 {
        return;
    }
    let mut e = residuals::factors_marginal(fx, fs);
    let ones = vec![1.0; k];
    let (idx, uf) = draw_grid(fx, &mut e, &ones, &fx.tables.log_prior_factors, &fs.h2, Block::FactorH2, it);
    fs.h2 = idx;
    if let (Some(uf), Some(x), Some(eff)) = (uf, fx.others.as_ref(), fs.other.as_mut()) {
        eff.set(&x.zt, uf);
    }
}

/// Grid points of the columns of `e` (residuals with every random effect integrated out, column scales
/// `scale`): with one term each column's grid posterior is evaluated exactly (weighted sums of squares in
/// the rotated space; `e` is then overwritten by its squares); with other terms by [`marginal_grid_step`],
/// which also returns the other effects drawn at the new points.
fn draw_grid(
    fx: &Fixed,
    e: &mut Dense,
    scale: &[f64],
    log_prior: &[f64],
    cur: &[usize],
    block: Block,
    it: usize,
) -> (Vec<usize>, Option<Dense>) {
    if let Some(x) = &fx.others {
        let (idx, u) = marginal_grid_step(fx, x, e, scale, log_prior, cur, block, it);
        return (idx, Some(u));
    }
    if fx.n_grid() < 2 {
        return (cur.to_vec(), None);
    }
    let ss = weighted_ss(fx, e);
    let seed = fx.settings.seed;
    let idx = (0..ss.ncol)
        .into_par_iter()
        .map(|j| {
            let lp = grid_logpost(fx, &ss, j, scale[j], log_prior);
            categorical_log(&mut task_rng(seed, block, j, it), &lp)
        })
        .collect();
    (idx, None)
}

/// Grid points at or below which the full grid is evaluated on the automatic route.
const FULL_GRID_MAX: usize = 64;
/// Metropolis steps per iteration on the Metropolis route. Each step costs one projection product
/// (r x n times n x m) for the proposals; one step keeps a two-term iteration near twice the one-term
/// cost, and the chain stays a valid Metropolis-within-Gibbs chain (checked against the full grid in
/// tests/several_terms.rs).
const MH_STEPS: usize = 1;

/// Variance proportions of each column of `e` (rotated residuals with every random effect integrated
/// out; column scales `scale`) from their grid posterior, by the route of `settings.grid_route`.
/// The Metropolis route also returns the projections `Zt' W r` at the points it ends on, so that the
/// other effects are drawn without another product.
#[allow(clippy::too_many_arguments)]
fn sample_grid_marginal(
    fx: &Fixed,
    x: &OtherTerms,
    e: &Dense,
    scale: &[f64],
    log_prior: &[f64],
    cur: &[usize],
    block: Block,
    it: usize,
) -> (Vec<usize>, Option<Dense>) {
    let ng = fx.n_grid();
    let full = match fx.settings.grid_route {
        GridRoute::Full => true,
        GridRoute::Metropolis => false,
        GridRoute::Auto => ng <= FULL_GRID_MAX,
    };
    let (w, grid, logdet) = (&fx.tables.w, &fx.priors.grid, &fx.tables.logdet);
    let seed = fx.settings.seed;
    let m = e.ncol;
    if full {
        let all: Vec<usize> = (0..ng).filter(|&g| log_prior[g].is_finite()).collect();
        let f = x.factors(&all, w, grid);
        // Log-posterior of every (grid point, column): one projection product per grid point.
        let mut lp = Dense { nrow: ng, ncol: m, data: vec![f64::NEG_INFINITY; ng * m] };
        for &g in &all {
            let (c, rwr) = x.project_all(e, &vec![g; m], w);
            let gf = f.get(&g).and_then(|v| v.as_deref());
            let row: Vec<f64> = (0..m)
                .into_par_iter()
                .map(|j| log_prior[g] + OtherTerms::loglik_projected(gf, logdet[g], c.col(j), rwr[j], scale[j]))
                .collect();
            for j in 0..m {
                lp.set(g, j, row[j]);
            }
        }
        let idx = (0..m)
            .into_par_iter()
            .map(|j| categorical_log(&mut task_rng(seed, block, j, it), lp.col(j)))
            .collect();
        return (idx, None);
    }
    let nb = &fx.tables.neighbours;
    let mut idx = cur.to_vec();
    let mut l_cur: Option<(Vec<f64>, Dense)> = None;
    for step in 0..MH_STEPS {
        let props: Vec<usize> = (0..m)
            .map(|j| {
                let nbj = &nb[idx[j]];
                if nbj.is_empty() {
                    return idx[j];
                }
                let mut rng = task_rng(seed, block, (step << 32) | (2 * j), it);
                nbj[((uniform(&mut rng) * nbj.len() as f64) as usize).min(nbj.len() - 1)]
            })
            .collect();
        let need: Vec<usize> = idx.iter().chain(&props).cloned().filter(|&g| log_prior[g].is_finite()).collect();
        let f = x.factors(&need, w, grid);
        let eval = |gs: &[usize]| -> (Vec<f64>, Dense) {
            let (c, rwr) = x.project_all(e, gs, w);
            let l = (0..m)
                .into_par_iter()
                .map(|j| {
                    let g = gs[j];
                    if !log_prior[g].is_finite() {
                        return f64::NEG_INFINITY;
                    }
                    let gf = f.get(&g).and_then(|v| v.as_deref());
                    log_prior[g] + OtherTerms::loglik_projected(gf, logdet[g], c.col(j), rwr[j], scale[j])
                })
                .collect();
            (l, c)
        };
        // The current points' values carry over from the previous step.
        let (l0, c0) = match l_cur.take() {
            Some(v) => v,
            None => eval(&idx),
        };
        let (l1, c1) = eval(&props);
        let moves: Vec<(usize, f64)> = (0..m)
            .into_par_iter()
            .map(|j| {
                let (g0, g1) = (idx[j], props[j]);
                if g0 == g1 || !l1[j].is_finite() {
                    return (g0, l0[j]);
                }
                // Proposal: uniform over neighbours, so the ratio of neighbour counts corrects it.
                let corr = (nb[g0].len() as f64 / nb[g1].len() as f64).ln();
                let mut rng = task_rng(seed, block, (step << 32) | (2 * j + 1), it);
                if uniform(&mut rng).ln() < l1[j] - l0[j] + corr {
                    (g1, l1[j])
                } else {
                    (g0, l0[j])
                }
            })
            .collect();
        let mut c_new = c0;
        for j in 0..m {
            if moves[j].0 != idx[j] {
                c_new.col_mut(j).copy_from_slice(c1.col(j));
            }
        }
        idx = moves.iter().map(|m| m.0).collect();
        l_cur = Some((moves.iter().map(|m| m.1).collect(), c_new));
    }
    (idx, l_cur.map(|(_, c)| c))
}

/// With other terms: grid points with those effects integrated out, then the effects given the new
/// points (the partially collapsed pair of steps of `others.rs`).
#[allow(clippy::too_many_arguments)]
fn marginal_grid_step(
    fx: &Fixed,
    x: &OtherTerms,
    e: &Dense,
    scale: &[f64],
    log_prior: &[f64],
    cur: &[usize],
    block: Block,
    it: usize,
) -> (Vec<usize>, Dense) {
    let (idx, proj) = sample_grid_marginal(fx, x, e, scale, log_prior, cur, block, it);
    let u = draw_other_effects(fx, x, e, scale, &idx, proj, block, it);
    (idx, u)
}

/// Draws the other random effects of each column given its grid point (r_e x m).
#[allow(clippy::too_many_arguments)]
fn draw_other_effects(
    fx: &Fixed,
    x: &OtherTerms,
    e: &Dense,
    scale: &[f64],
    idx: &[usize],
    proj: Option<Dense>,
    block: Block,
    it: usize,
) -> Dense {
    let w = &fx.tables.w;
    let f = x.factors(idx, w, &fx.priors.grid);
    let seed = fx.settings.seed;
    let c = match proj {
        Some(c) => c,
        None => x.project_all(e, idx, w).0,
    };
    let cols: Vec<Vec<f64>> = (0..e.ncol)
        .into_par_iter()
        .map(|j| {
            let mut rng = task_rng(seed, block, (1 << 40) | j, it);
            x.draw_projected(f.get(&idx[j]).and_then(|v| v.as_deref()), c.col(j), scale[j], &mut rng)
        })
        .collect();
    let mut out = Dense::zeros(x.r_e, e.ncol);
    for (j, col) in cols.into_iter().enumerate() {
        out.col_mut(j).copy_from_slice(&col);
    }
    out
}
