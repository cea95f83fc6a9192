//! Curves: traits measured repeatedly, at each individual's own times, on a basis of time. The latent
//! traits of the factor model are the basis coefficients; measurement m of individual i is
//!
//! `y_m = phi_m' h_i + e_m`, `e_m ~ N(0, sigma2_{g(m)})`,
//!
//! with `phi_m` the basis functions (polynomial, B-spline) at the measurement's time and `g(m)` its
//! measurement-variance group (one per trait, or per trait and time class). Given the linear predictor
//! `eta_i` of the coefficients and their residual variances `D = diag(v)`, each individual's coefficients
//! are one multivariate normal draw:
//!
//! `h_i ~ N(V (Phi_i' W_i y_i + D^-1 eta_i), V)`,  `V = (Phi_i' W_i Phi_i + D^-1)^-1`,  `W_i = diag(1 / sigma2_g)`,
//!
//! (an individual without measurements: `N(eta_i, D)`), and the variances
//! `sigma2_g ~ iG(a + n_g / 2, b + sum_{m in g} (y_m - phi_m' h_i)^2 / 2)`. The random-regression animal
//! model is the special case of a polynomial basis with full-rank factors.

use rayon::prelude::*;

use crate::linalg::{cholesky_in_place, solve_lower, solve_upper_t, Dense};
use crate::model::CurveSet;
use crate::rng::{inv_gamma, normal, task_rng, Block};

/// Individuals per parallel task (fixed, so draws do not depend on the thread count).
const ROWS: usize = 32;

/// A curve's data, indexed by individual.
pub struct CurveData {
    pub set: CurveSet,
    /// Measurements of each individual (indices into the set's vectors).
    pub by_row: Vec<Vec<usize>>,
    /// Positions of the coefficient traits among the latent traits.
    pub pos: Vec<usize>,
}

impl CurveData {
    pub fn new(set: &CurveSet, n: usize, latent: &[usize]) -> Self {
        let (by_row, pos) = (super::by_row(&set.row, n), super::positions(&set.traits, latent));
        CurveData { set: set.clone(), by_row, pos }
    }
}

/// Measurement variances of one curve, per group.
#[derive(Clone, Debug)]
pub struct CurveState {
    pub sigma2: Vec<f64>,
    /// Prior sigma2 ~ iG(shape, scale).
    pub shape: f64,
    pub scale: f64,
}

impl CurveState {
    pub fn start(set: &CurveSet, shape: f64, scale: f64) -> Self {
        CurveState { sigma2: vec![0.5; set.n_groups], shape, scale }
    }
}

/// New coefficients of individual i (k values) given its measurements.
fn draw_row(cd: &CurveData, st: &CurveState, i: usize, eta: &[f64], v: &[f64], rng: &mut rand::rngs::ChaCha8Rng) -> Vec<f64> {
    let k = v.len();
    let set = &cd.set;
    let mut prec = vec![0.0; k * k];
    let mut lin: Vec<f64> = (0..k).map(|a| eta[a] / v[a]).collect();
    for a in 0..k {
        prec[a * k + a] = 1.0 / v[a];
    }
    for &m in &cd.by_row[i] {
        let w = 1.0 / st.sigma2[set.group[m]];
        for a in 0..k {
            let pa = set.phi.get(m, a);
            lin[a] += w * pa * set.y[m];
            for b in 0..=a {
                let val = w * pa * set.phi.get(m, b);
                prec[b * k + a] += val;
                if b != a {
                    prec[a * k + b] += val;
                }
            }
        }
    }
    if !cholesky_in_place(&mut prec, k) {
        // Not reachable for positive variances; keep the prior mean.
        return eta.to_vec();
    }
    solve_lower(&prec, k, &mut lin);
    for x in lin.iter_mut() {
        *x += normal(rng);
    }
    solve_upper_t(&prec, k, &mut lin);
    lin
}

/// Draws the coefficients of every individual (columns `cd.pos` of `h`), then the measurement variances.
#[allow(clippy::too_many_arguments)]
pub fn draw(cd: &CurveData, st: &mut CurveState, eta: &Dense, v: &[f64], h: &mut Dense, index: usize, seed: u64, it: usize) {
    let n = h.nrow;
    let k = cd.pos.len();
    let vk: Vec<f64> = cd.pos.iter().map(|&c| v[c]).collect();
    let st_ref = &*st;
    let rows: Vec<Vec<f64>> = (0..n.div_ceil(ROWS))
        .into_par_iter()
        .map(|chunk| {
            let (lo, hi) = (chunk * ROWS, ((chunk + 1) * ROWS).min(n));
            let mut out = Vec::with_capacity((hi - lo) * k);
            for i in lo..hi {
                let e: Vec<f64> = cd.pos.iter().map(|&c| eta.get(i, c)).collect();
                let mut rng = task_rng(seed, Block::Link, (1 << 46) | (index << 32) | i, it);
                out.extend(draw_row(cd, st_ref, i, &e, &vk, &mut rng));
            }
            out
        })
        .collect();
    for (chunk, vals) in rows.iter().enumerate() {
        for (r, row) in vals.chunks(k).enumerate() {
            let i = chunk * ROWS + r;
            for (a, &c) in cd.pos.iter().enumerate() {
                h.set(i, c, row[a]);
            }
        }
    }
    let set = &cd.set;
    let mut ss = vec![0.0; set.n_groups];
    let mut cnt = vec![0.0; set.n_groups];
    for m in 0..set.y.len() {
        let i = set.row[m];
        let fit: f64 = cd.pos.iter().enumerate().map(|(a, &c)| set.phi.get(m, a) * h.get(i, c)).sum();
        ss[set.group[m]] += (set.y[m] - fit).powi(2);
        cnt[set.group[m]] += 1.0;
    }
    let mut rng = task_rng(seed, Block::LinkParams, (1 << 46) | index, it);
    for g in 0..set.n_groups {
        st.sigma2[g] = inv_gamma(&mut rng, st.shape + 0.5 * cnt[g], st.scale + 0.5 * ss[g]);
    }
}
