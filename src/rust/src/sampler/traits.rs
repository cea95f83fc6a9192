//! Block 2: each trait's regression coefficients and residual variance, jointly, with U_R integrated out.
//!
//! For trait j, in the rotated space with `A = [xt, ft]` (n x q, q = b + k) and row precisions
//! `W = diag(w_i(h2_j))`:
//!
//! `yt_j = A beta_j + e`, `e ~ N(0, psi_j W^-1)`, `beta_j | psi_j ~ N(0, psi_j D_j)`,
//! `psi_j ~ iG(nu/2, nu V/2)`,
//!
//! with `D_j^-1 = diag(1/sigma2_b (0 for flat columns), phi_j1 tau_1, ..., phi_jk tau_k)`. This normal-gamma
//! prior makes the conditional of `(beta_j, psi_j)` one joint draw:
//!
//! `P = A' W A + D_j^-1`, `m = P^-1 A' W yt_j`, `S = yt_j' W yt_j - m' P m`,
//! `psi_j ~ iG(nu/2 + (n - n_flat)/2, nu V/2 + S/2)`, `beta_j | psi_j ~ N(m, psi_j P^-1)`.
//!
//! For probit and ordinal traits psi_j is fixed at 1 (their latent scale has no scale of its own) and only
//! `beta_j | psi_j = 1` is drawn.
//!
//! `A' W A` depends on trait j only through its grid point, so it is formed once per occupied grid point,
//! and `A' W Y_g` is one product per grid point over the traits of that group.

use rayon::prelude::*;

use super::fixed::Fixed;
use super::numerics::Failures;
use super::state::{ShrinkState, TraitState};
use crate::linalg::{cholesky_in_place, gemm, gemm_slice, solve_lower, solve_upper_t, Dense};
use crate::rng::{inv_gamma, normal, task_rng, Block};

/// Cross-products shared by the traits of one grid point.
struct GroupProducts {
    traits: Vec<usize>,
    /// A' W A (q x q).
    atwa: Vec<f64>,
    /// A' W Y_g (q x p_g).
    atwy: Dense,
    /// y_j' W y_j per trait of the group.
    ywy: Vec<f64>,
}

/// `[xt, ft]`.
fn design_a(fx: &Fixed, ft: &Dense) -> Dense {
    let mut a = Dense::zeros(fx.n, fx.b + ft.ncol);
    a.data[..fx.n * fx.b].copy_from_slice(&fx.xt.data);
    a.data[fx.n * fx.b..].copy_from_slice(&ft.data);
    a
}

/// The cross-products of every occupied grid point. `grouped` (scratch) receives the regression targets
/// (`yt` less the other terms' offsets) with the traits of each group in adjacent columns, in group order,
/// so that `A' W Y_g` reads them in place.
fn group_products(fx: &Fixed, a: &Dense, yt: &Dense, tr: &TraitState, grouped: &mut Dense) -> Vec<GroupProducts> {
    let q = a.ncol;
    let n = yt.nrow;
    let groups = fx.groups(&tr.h2);
    let order: Vec<usize> = groups.iter().flat_map(|(_, t)| t.iter().copied()).collect();
    grouped.reshape_scratch(n, order.len());
    grouped.data.par_chunks_mut(n.max(1)).zip(order.par_iter()).for_each(|(dst, &j)| {
        dst.copy_from_slice(yt.col(j));
        if let Some(x) = &tr.other {
            dst.iter_mut().zip(x.o.col(j)).for_each(|(a, b)| *a -= b);
        }
    });
    let mut start = 0;
    groups
        .into_iter()
        .map(|(g, traits)| {
            let cols = start..start + traits.len();
            start += traits.len();
            let w = &fx.tables.w[g];
            let mut wa = a.clone();
            for c in 0..q {
                for (v, wi) in wa.col_mut(c).iter_mut().zip(w) {
                    *v *= wi;
                }
            }
            let mut atwa = Dense::zeros(q, q);
            gemm(&mut atwa, false, a, true, &wa, 1.0);
            let yg = &grouped.data[n * cols.start..n * cols.end];
            let mut atwy = Dense::zeros(q, traits.len());
            gemm_slice(&mut atwy, false, &wa, true, yg, n, 1.0);
            let ywy = yg.chunks(n.max(1)).map(|col| col.iter().zip(w).map(|(y, wi)| y * y * wi).sum()).collect();
            GroupProducts { traits, atwa: atwa.data, atwy, ywy }
        })
        .collect()
}

/// Prior precisions (in units of psi_j) of trait j's coefficients `[b_j, lambda_j]`.
pub(crate) fn prior_precision(fx: &Fixed, shrink: &ShrinkState, j: usize, tau: &[f64], out: &mut [f64]) {
    for l in 0..fx.b {
        out[l] = if fx.penalized[l] { 1.0 / shrink.sigma2_b[l] } else { 0.0 };
    }
    for h in 0..tau.len() {
        out[fx.b + h] = shrink.phi.get(j, h) * tau[h];
    }
}

/// Block 2: `(b_j, lambda_j, psi_j)` of every trait from its joint conditional (psi_j stays at 1 for traits
/// whose family fixes it).
/// `scratch` is reused n x p space (see [`super::workspace`]).
pub fn sample(fx: &Fixed, yt: &Dense, ft: &Dense, shrink: &ShrinkState, tr: &mut TraitState, it: usize, scratch: &mut Dense, failures: &Failures) {
    let (b, k) = (fx.b, ft.ncol);
    let a = design_a(fx, ft);
    let q = a.ncol;
    let groups = group_products(fx, &a, yt, tr, scratch);
    let tau = shrink.tau();
    let shape = 0.5 * (fx.priors.psi_nu + (fx.n - fx.n_flat) as f64);
    let scale0 = 0.5 * fx.priors.psi_nu * fx.priors.psi_v;
    let seed = fx.settings.seed;

    // (trait, group, position in group) for a flat parallel loop over traits.
    let mut index = Vec::with_capacity(fx.p);
    for (gi, grp) in groups.iter().enumerate() {
        for (pos, &j) in grp.traits.iter().enumerate() {
            index.push((j, gi, pos));
        }
    }
    let cur = &*tr;
    let draws: Vec<(usize, Vec<f64>, f64)> = index
        .par_iter()
        .map(|&(j, gi, pos)| {
            let grp = &groups[gi];
            let mut prec = grp.atwa.clone();
            let mut d = vec![0.0; q];
            prior_precision(fx, shrink, j, &tau, &mut d);
            for l in 0..q {
                prec[l * q + l] += d[l];
            }
            let mut rng = task_rng(seed, Block::Traits, j, it);
            let c = grp.atwy.col(pos);
            // Other random effects are part of the conditioning: their prior N(0, psi_j K_e(a)) adds to
            // psi_j's shape and scale.
            let (shape_j, scale_j) = match (&fx.others, &cur.other) {
                (Some(x), Some(e)) => {
                    let (quad, r) = x.prior_quad(cur.h2[j], e.u.col(j), &fx.priors.grid);
                    (shape + 0.5 * r as f64, scale0 + 0.5 * quad)
                }
                _ => (shape, scale0),
            };
            let fixed_psi = fx.obs.family(j).fixed_variance().then_some(cur.psi[j]);
            draw_normal_gamma(&mut prec, q, c, grp.ywy[pos], shape_j, scale_j, fixed_psi, &mut rng)
                .map(|(beta, psi)| (j, beta, psi))
                // A precision that is not positive definite (numerically) keeps the current values, counted.
                .unwrap_or_else(|| {
                    Failures::add(&failures.traits);
                    let mut beta = vec![0.0; q];
                    for l in 0..b {
                        beta[l] = cur.b.get(l, j);
                    }
                    for h in 0..k {
                        beta[b + h] = cur.lambda.get(j, h);
                    }
                    (j, beta, cur.psi[j])
                })
        })
        .collect();
    for (j, beta, psi) in draws {
        for l in 0..b {
            tr.b.set(l, j, beta[l]);
        }
        for h in 0..k {
            tr.lambda.set(j, h, beta[b + h]);
        }
        tr.psi[j] = psi;
    }
}

/// One normal-gamma draw: `prec` (q x q, overwritten by its Cholesky factor) is `P`, `c` is `A' W y`, `ywy`
/// is `y' W y`. Returns `(beta, psi)` or None when P is not positive definite. With `fixed_psi`, psi is
/// not drawn and `beta ~ N(P^-1 c, psi P^-1)` at that value.
#[allow(clippy::too_many_arguments)]
pub(crate) fn draw_normal_gamma(
    prec: &mut [f64],
    q: usize,
    c: &[f64],
    ywy: f64,
    shape: f64,
    scale0: f64,
    fixed_psi: Option<f64>,
    rng: &mut rand::rngs::ChaCha8Rng,
) -> Option<(Vec<f64>, f64)> {
    if !cholesky_in_place(prec, q) {
        return None;
    }
    // u = L^-1 c, so m = L'^-1 u and m' P m = u'u.
    let mut u = c.to_vec();
    solve_lower(prec, q, &mut u);
    let quad: f64 = u.iter().map(|v| v * v).sum();
    let sse = (ywy - quad).max(0.0);
    let psi = match fixed_psi {
        Some(v) => v,
        None => inv_gamma(rng, shape, scale0 + 0.5 * sse),
    };
    let sd = psi.sqrt();
    let mut beta: Vec<f64> = u.iter().map(|&ui| ui + sd * normal(rng)).collect();
    solve_upper_t(prec, q, &mut beta);
    Some((beta, psi))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The joint draw against its closed form: psi's inverse-gamma mean and the coefficients' mean and
    /// covariance, for a fixed small regression.
    #[test]
    fn normal_gamma_draw_matches_closed_form() {
        // q = 2: P = [[4, 1], [1, 3]], c = [2, -1], y'Wy = 10, shape 5, scale0 1.
        let p = [4.0, 1.0, 1.0, 3.0];
        let c = [2.0, -1.0];
        let (ywy, shape, scale0) = (10.0, 5.0, 1.0);
        let det = 11.0;
        let pinv = [3.0 / det, -1.0 / det, -1.0 / det, 4.0 / det];
        let m = [pinv[0] * c[0] + pinv[2] * c[1], pinv[1] * c[0] + pinv[3] * c[1]];
        let quad = m[0] * c[0] + m[1] * c[1];
        let scale = scale0 + 0.5 * (ywy - quad);
        let e_psi = scale / (shape - 1.0);
        let n = 200_000;
        let mut rng = task_rng(11, Block::Traits, 0, 0);
        let (mut s_psi, mut s_psi2) = (0.0, 0.0);
        let mut s_b = [0.0; 2];
        let mut s_bb = [0.0; 3];
        for _ in 0..n {
            let mut prec = p;
            let (beta, psi) = draw_normal_gamma(&mut prec, 2, &c, ywy, shape, scale0, None, &mut rng).unwrap();
            s_psi += psi;
            s_psi2 += psi * psi;
            s_b[0] += beta[0];
            s_b[1] += beta[1];
            s_bb[0] += beta[0] * beta[0];
            s_bb[1] += beta[0] * beta[1];
            s_bb[2] += beta[1] * beta[1];
        }
        let nf = n as f64;
        let mean_psi = s_psi / nf;
        let sd_psi = (s_psi2 / nf - mean_psi * mean_psi).sqrt();
        assert!((mean_psi - e_psi).abs() < 5.0 * sd_psi / nf.sqrt(), "{mean_psi} vs {e_psi}");
        // Cov(beta) = E[psi] P^-1
        for (i, &mi) in m.iter().enumerate() {
            let mean = s_b[i] / nf;
            let var = e_psi * pinv[i * 2 + i];
            assert!((mean - mi).abs() < 5.0 * (var / nf).sqrt(), "mean {i}");
        }
        let cov01 = s_bb[1] / nf - (s_b[0] / nf) * (s_b[1] / nf);
        assert!((cov01 - e_psi * pinv[1]).abs() < 0.02 * e_psi.abs() + 5.0 * e_psi / nf.sqrt());
        let var0 = s_bb[0] / nf - (s_b[0] / nf).powi(2);
        assert!((var0 / (e_psi * pinv[0]) - 1.0).abs() < 0.03);
    }
}
