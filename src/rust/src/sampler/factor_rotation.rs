//! Block 4b (with `collapse_factors`): rotations of pairs of factors.
//!
//! The traits see the factors only through `F Lambda'`, so rotating two factors h < l by an angle t,
//!
//! `x_h <- c x_h + s x_l`,  `x_l <- -s x_h + c x_l`  (`c = cos t`, `s = sin t`)
//!
//! for their scores, loadings, fixed effects and other effects alike, leaves the likelihood unchanged and
//! moves only the priors. With few traits the data barely tell factors apart, and a trait's variance
//! drifts from one factor to another over thousands of iterations (mice: AST's loadings move from one
//! factor to another, and its h2 with them, since the two factors have different h2F). Every prior term
//! that changes is a weighted sum of squares, `Q = sum_i (w_hi x_hi^2 + w_li x_li^2)`, so along the orbit
//!
//! `Q(t) = c^2 (A_h + B_l) + s^2 (B_h + A_l) + 2 c s (C_h - C_l)`,
//! `A_. = sum_i w_.i x_hi^2`, `B_. = sum_i w_.i x_li^2`, `C_. = sum_i w_.i x_hi x_li`,
//!
//! over the scores' deviations from their prior means (`w = 1 / dF_i`, rotated space), the loadings
//! (`w_j = phi_j. tau_. / psi_j`) and each active other term's effects (metric `K_m^-1 / aF_.m`). The
//! fixed effects' prior is the same for every factor, so it does not change. The angle is drawn from
//! the `ANGLES` rotations by multiples of `2 pi / ANGLES` with probabilities `exp(-Q(t)/2)`: a Gibbs
//! draw over the orbit of a finite group of volume-preserving maps, which leaves the posterior invariant
//! (the generalised Gibbs step of Liu & Wu 1999 / Liu & Sabatti 2000, whose Haar measure is here the
//! counting measure). Pairs whose other terms are not active alike are left alone (a rotation would give
//! an inactive term's effects, which are 0, a value).

use std::f64::consts::PI;

use super::factor_cell::active_other_terms;
use super::fixed::Fixed;
use super::state::{FactorState, ShrinkState, TraitState};
use crate::linalg::{gemm, Dense};
use crate::rng::{categorical_log, task_rng, Block};

/// Rotations in the finite group (multiples of 2 pi / ANGLES).
pub const ANGLES: usize = 128;

/// `(A_h, B_h, C_h, A_l, B_l, C_l)` of one prior term, accumulated.
#[derive(Default, Clone, Copy, Debug)]
struct Sums([f64; 6]);

impl Sums {
    fn add(&mut self, wh: f64, wl: f64, xh: f64, xl: f64) {
        let (hh, ll, hl) = (xh * xh, xl * xl, xh * xl);
        let v = &mut self.0;
        v[0] += wh * hh;
        v[1] += wh * ll;
        v[2] += wh * hl;
        v[3] += wl * hh;
        v[4] += wl * ll;
        v[5] += wl * hl;
    }

    /// `Q(t)` of the module doc, at `(c, s) = (cos t, sin t)`.
    fn q(&self, (c, s): (f64, f64)) -> f64 {
        let v = &self.0;
        c * c * (v[0] + v[4]) + s * s * (v[1] + v[3]) + 2.0 * c * s * (v[2] - v[5])
    }
}

/// The state the move reads and rotates, gathered once per iteration: deviations of the scores from their
/// prior means and, per factor, `K_m^-1 uF_hm` of the other terms (both rotate with the factors).
struct Work {
    e: Dense,
    kinv_u: Option<Dense>,
}

fn work(fx: &Fixed, fs: &FactorState) -> Work {
    let mut e = fs.ft.clone();
    gemm(&mut e, true, &fx.xft, false, &fs.bf, -1.0);
    if let Some(x) = &fs.other {
        e.data.iter_mut().zip(&x.o.data).for_each(|(a, b)| *a -= b);
    }
    let kinv_u = match (&fx.others, &fs.other) {
        (Some(x), Some(eff)) => {
            let mut v = eff.u.clone();
            for tm in &x.terms {
                if let Some(ki) = &tm.kinv {
                    for h in 0..eff.u.ncol {
                        let u = &eff.u.col(h)[tm.offset..tm.offset + tm.r];
                        let out: Vec<f64> = (0..tm.r).map(|a| (0..tm.r).map(|b| ki.get(a, b) * u[b]).sum()).collect();
                        v.col_mut(h)[tm.offset..tm.offset + tm.r].copy_from_slice(&out);
                    }
                }
            }
            Some(v)
        }
        _ => None,
    };
    Work { e, kinv_u }
}

/// Whether factors h and l have the same active other terms (only then may they rotate).
fn rotatable(fx: &Fixed, fs: &FactorState, h: usize, l: usize) -> bool {
    active_other_terms(fx, fs.h2[h]) == active_other_terms(fx, fs.h2[l])
}

/// `(cos t, sin t)` of the rotations of the group.
fn angles() -> Vec<(f64, f64)> {
    (0..ANGLES).map(|a| 2.0 * PI * a as f64 / ANGLES as f64).map(|t| (t.cos(), t.sin())).collect()
}

/// The prior sums of the pair (h, l) (module doc); `tau` from [`ShrinkState::tau`].
#[allow(clippy::too_many_arguments)]
fn pair_sums(fx: &Fixed, tr: &TraitState, shrink: &ShrinkState, tau: &[f64], fs: &FactorState, w: &Work, h: usize, l: usize) -> Sums {
    let mut s = Sums::default();
    let (wh, wl) = (&fx.tables.w[fs.h2[h]], &fx.tables.w[fs.h2[l]]);
    let (eh, el) = (w.e.col(h), w.e.col(l));
    for i in 0..fx.n {
        s.add(wh[i], wl[i], eh[i], el[i]);
    }
    for j in 0..fx.p {
        let ip = 1.0 / tr.psi[j];
        s.add(shrink.phi.get(j, h) * tau[h] * ip, shrink.phi.get(j, l) * tau[l] * ip, tr.lambda.get(j, h), tr.lambda.get(j, l));
    }
    if let (Some(x), Some(eff), Some(v)) = (&fx.others, &fs.other, &w.kinv_u) {
        let g = &fx.priors.grid;
        for tm in &x.terms {
            let (ah, al) = (g.share(fs.h2[h], tm.term), g.share(fs.h2[l], tm.term));
            if ah <= 0.0 || al <= 0.0 {
                continue;
            }
            let rng = tm.offset..tm.offset + tm.r;
            let (uh, ul) = (&eff.u.col(h)[rng.clone()], &eff.u.col(l)[rng.clone()]);
            let (vh, vl) = (&v.col(h)[rng.clone()], &v.col(l)[rng]);
            let dot = |a: &[f64], b: &[f64]| -> f64 { a.iter().zip(b).map(|(x, y)| x * y).sum() };
            // u' K^-1 u forms: A = uh'K^-1 uh, B = ul'K^-1 ul, C = uh'K^-1 ul, weighted by 1/a.
            let (qa, qb, qc) = (dot(uh, vh), dot(ul, vl), dot(uh, vl));
            let t = &mut s.0;
            t[0] += qa / ah;
            t[1] += qb / ah;
            t[2] += qc / ah;
            t[3] += qa / al;
            t[4] += qb / al;
            t[5] += qc / al;
        }
    }
    s
}

/// Log-posterior (up to a constant) of the rotations of the pair (h, l) by `2 pi a / ANGLES`,
/// a = 0..ANGLES, relative to the current state.
pub fn orbit_logpost(fx: &Fixed, tr: &TraitState, shrink: &ShrinkState, fs: &FactorState, h: usize, l: usize) -> Vec<f64> {
    let w = work(fx, fs);
    let s = pair_sums(fx, tr, shrink, &shrink.tau(), fs, &w, h, l);
    angles().into_iter().map(|cs| -0.5 * s.q(cs)).collect()
}

/// Rotates columns h and l of `m` by the angle of `(c, s) = (cos t, sin t)`.
fn rotate(m: &mut Dense, h: usize, l: usize, (c, s): (f64, f64)) {
    let n = m.nrow;
    for i in 0..n {
        let (xh, xl) = (m.data[h * n + i], m.data[l * n + i]);
        m.data[h * n + i] = c * xh + s * xl;
        m.data[l * n + i] = -s * xh + c * xl;
    }
}

/// Block 4b: every pair of factors in turn, a rotation drawn from its orbit (module doc).
pub fn sample(fx: &Fixed, tr: &mut TraitState, shrink: &ShrinkState, fs: &mut FactorState, it: usize) {
    let k = fs.ft.ncol;
    if k < 2 {
        return;
    }
    let mut w = work(fx, fs);
    let (cs, tau) = (angles(), shrink.tau());
    let mut pair = 0;
    for h in 0..k {
        for l in (h + 1)..k {
            pair += 1;
            if !rotatable(fx, fs, h, l) {
                continue;
            }
            let s = pair_sums(fx, tr, shrink, &tau, fs, &w, h, l);
            let lp: Vec<f64> = cs.iter().map(|&c| -0.5 * s.q(c)).collect();
            let a = categorical_log(&mut task_rng(fx.settings.seed, Block::FactorRotation, pair, it), &lp);
            if a == 0 {
                continue;
            }
            let t = cs[a];
            rotate(&mut fs.ft, h, l, t);
            rotate(&mut w.e, h, l, t);
            rotate(&mut tr.lambda, h, l, t);
            rotate(&mut fs.bf, h, l, t);
            if let Some(eff) = fs.other.as_mut() {
                rotate(&mut eff.u, h, l, t);
                rotate(&mut eff.o, h, l, t);
            }
            if let Some(v) = w.kinv_u.as_mut() {
                rotate(v, h, l, t);
            }
        }
    }
}
