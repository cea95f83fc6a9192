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
use crate::model::GridRoute;
use crate::rng::{categorical_log, task_rng, uniform, Block};

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
        let e = self.residuals_marginal();
        let (psi, lp, cur) = (self.psi.clone(), self.log_h2_prior.clone(), self.h2_idx.clone());
        let (idx, u) = self.draw_grid(&e, &psi, &lp, &cur, Block::TraitH2, it);
        self.h2_idx = idx;
        if let (Some(u), Some(x)) = (u, self.extra.as_mut()) {
            x.set_effects(false, u);
        }
    }

    /// Grid points of the columns of `e` (residuals with every random effect integrated out, column
    /// scales `scale`): with one term each column's grid posterior is evaluated exactly (weighted sums
    /// of squares in the rotated space); with further terms by [`Self::marginal_grid_step`], which also
    /// returns the further effects drawn at the new points.
    fn draw_grid(
        &mut self,
        e: &Dense,
        scale: &[f64],
        log_prior: &[f64],
        cur: &[usize],
        block: Block,
        it: usize,
    ) -> (Vec<usize>, Option<Dense>) {
        if self.extra.is_some() {
            let (idx, u) = self.marginal_grid_step(e, scale, log_prior, cur, block, it);
            return (idx, Some(u));
        }
        if self.w.len() < 2 {
            return (cur.to_vec(), None);
        }
        let ss = self.weighted_ss(e);
        let seed = self.settings.seed;
        let this = &*self;
        let idx = (0..e.ncol)
            .into_par_iter()
            .map(|j| {
                let lp = this.grid_logpost(&ss, j, scale[j], log_prior);
                categorical_log(&mut task_rng(seed, block, j, it), &lp)
            })
            .collect();
        (idx, None)
    }

    /// Factor residuals `ft - xft B_F - OF` (n x k), given every random effect but the first.
    pub(crate) fn factor_residuals(&self) -> Dense {
        let mut e = self.factor_residuals_marginal();
        if let Some(x) = &self.extra {
            e.data.iter_mut().zip(&x.of.data).for_each(|(a, b)| *a -= b);
        }
        e
    }

    /// Factor residuals with every random effect integrated out: `ft - xft B_F`.
    pub(crate) fn factor_residuals_marginal(&self) -> Dense {
        let mut e = self.ft.clone();
        gemm(&mut e, true, &self.xft, false, &self.bfmat, -1.0);
        e
    }

    pub fn sample_factor_h2(&mut self, it: usize) {
        if self.k == 0 {
            return;
        }
        let e = self.factor_residuals_marginal();
        let (ones, lp, cur) = (vec![1.0; self.k], self.log_h2f_prior.clone(), self.h2f_idx.clone());
        let (idx, uf) = self.draw_grid(&e, &ones, &lp, &cur, Block::FactorH2, it);
        self.h2f_idx = idx;
        if let (Some(uf), Some(x)) = (uf, self.extra.as_mut()) {
            x.set_effects(true, uf);
        }
    }
}

/// Grid points at or below which the full grid is evaluated on the automatic route.
const FULL_GRID_MAX: usize = 64;
/// Metropolis steps per iteration on the Metropolis route. Each step costs one projection product
/// (r x n times n x m) for the proposals; one step keeps a two-term iteration near twice the one-term
/// cost, and the chain stays a valid Metropolis-within-Gibbs chain (checked against the full grid in
/// tests/several_terms.rs).
const MH_STEPS: usize = 1;

impl Sampler {
    /// Variance proportions of each column of `e` (rotated residuals with every random effect integrated
    /// out; column scales `scale`) from their grid posterior, by the route of `settings.grid_route`.
    /// The Metropolis route also returns the projections `Zt' W r` at the points it ends on, so that the
    /// further effects are drawn without another product.
    fn sample_grid_marginal(
        &mut self,
        e: &Dense,
        scale: &[f64],
        log_prior: &[f64],
        cur: &[usize],
        block: Block,
        it: usize,
    ) -> (Vec<usize>, Option<Dense>) {
        let ng = self.w.len();
        let full = match self.settings.grid_route {
            GridRoute::Full => true,
            GridRoute::Metropolis => false,
            GridRoute::Auto => ng <= FULL_GRID_MAX,
        };
        let seed = self.settings.seed;
        let m = e.ncol;
        if full {
            let all: Vec<usize> = (0..ng).filter(|&g| log_prior[g].is_finite()).collect();
            let (w, priors) = (&self.w, &self.priors);
            self.extra.as_mut().expect("extra terms").ensure(&all, w, priors);
            let x = self.extra.as_ref().expect("extra terms");
            // Log-posterior of every (grid point, column): one projection product per grid point.
            let mut lp = Dense::from_vec(ng, m, vec![f64::NEG_INFINITY; ng * m]).expect("sizes agree");
            for &g in &all {
                let (c, rwr) = x.project_all(e, &vec![g; m], &self.w);
                let row: Vec<f64> = (0..m)
                    .into_par_iter()
                    .map(|j| log_prior[g] + x.loglik_projected(g, self.logdet[g], c.col(j), rwr[j], scale[j]))
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
        let mut idx = cur.to_vec();
        let mut l_cur: Option<(Vec<f64>, Dense)> = None;
        for step in 0..MH_STEPS {
            let props: Vec<usize> = (0..m)
                .map(|j| {
                    let nb = &self.neighbours[idx[j]];
                    if nb.is_empty() {
                        return idx[j];
                    }
                    let mut rng = task_rng(seed, block, (step << 32) | (2 * j), it);
                    nb[((uniform(&mut rng) * nb.len() as f64) as usize).min(nb.len() - 1)]
                })
                .collect();
            let need: Vec<usize> = idx.iter().chain(&props).cloned().filter(|&g| log_prior[g].is_finite()).collect();
            let (w, priors) = (&self.w, &self.priors);
            self.extra.as_mut().expect("extra terms").ensure(&need, w, priors);
            let x = self.extra.as_ref().expect("extra terms");
            let eval = |gs: &[usize]| -> (Vec<f64>, Dense) {
                let (c, rwr) = x.project_all(e, gs, &self.w);
                let l = (0..m)
                    .into_par_iter()
                    .map(|j| {
                        let g = gs[j];
                        if !log_prior[g].is_finite() {
                            return f64::NEG_INFINITY;
                        }
                        log_prior[g] + x.loglik_projected(g, self.logdet[g], c.col(j), rwr[j], scale[j])
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
            let this = &*self;
            let moves: Vec<(usize, f64)> = (0..m)
                .into_par_iter()
                .map(|j| {
                    let (g0, g1) = (idx[j], props[j]);
                    if g0 == g1 || !l1[j].is_finite() {
                        return (g0, l0[j]);
                    }
                    // Proposal: uniform over neighbours, so the ratio of neighbour counts corrects it.
                    let corr = (this.neighbours[g0].len() as f64 / this.neighbours[g1].len() as f64).ln();
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

    /// With further random-effect terms: grid points with those effects integrated out, then the effects
    /// given the new points (the partially collapsed pair of steps of `extra.rs`).
    fn marginal_grid_step(
        &mut self,
        e: &Dense,
        scale: &[f64],
        log_prior: &[f64],
        cur: &[usize],
        block: Block,
        it: usize,
    ) -> (Vec<usize>, Dense) {
        let (idx, proj) = self.sample_grid_marginal(e, scale, log_prior, cur, block, it);
        let u = self.draw_extra_effects(e, scale, &idx, proj, block, it);
        (idx, u)
    }

    /// Draws the further random effects of each column given its grid point (r_e x m).
    fn draw_extra_effects(
        &mut self,
        e: &Dense,
        scale: &[f64],
        idx: &[usize],
        proj: Option<Dense>,
        block: Block,
        it: usize,
    ) -> Dense {
        let (w, priors) = (&self.w, &self.priors);
        self.extra.as_mut().expect("extra terms").ensure(idx, w, priors);
        let x = self.extra.as_ref().expect("extra terms");
        let seed = self.settings.seed;
        let c = match proj {
            Some(c) => c,
            None => x.project_all(e, idx, &self.w).0,
        };
        let cols: Vec<Vec<f64>> = (0..e.ncol)
            .into_par_iter()
            .map(|j| {
                let mut rng = task_rng(seed, block, (1 << 40) | j, it);
                x.draw_projected(idx[j], c.col(j), scale[j], &mut rng)
            })
            .collect();
        let mut out = Dense::zeros(x.r_e, e.ncol);
        for (j, col) in cols.into_iter().enumerate() {
            out.col_mut(j).copy_from_slice(&col);
        }
        out
    }
}
