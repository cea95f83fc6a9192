//! The grid cell a factor of block 3b moves in, and the row sums both of the block's moves need.
//!
//! Both moves (`factor_collapsed.rs`, `factor_interweave.rs`) draw factor h's grid point with its scores
//! integrated out, among the points whose active other terms are those of the current point. Their
//! log-posteriors are sums over rows of functions of `d_ig = aR_g s_i + e_g`, which depends on g only
//! through the pair `(aR_g, e_g)`; with `r_i = d_i / (1 + d_i q_i)` and the offsets `o_mi` of the active
//! other terms (`factor_interweave.rs`), each distinct pair needs
//!
//! `A0 = sum_i ln(1 + d_i q_i)`, `A1 = sum_i r_i t_i^2`, `B_m = sum_i r_i q_i t_i o_mi`,
//! `C_mm' = sum_i r_i q_i^2 o_mi o_m'i`,
//!
//! and, whatever the pair, `T_m = sum_i t_i o_mi` and `Q_mm' = sum_i q_i o_mi o_m'i`. One pass over the
//! rows per pair, shared by both moves.

use std::collections::HashMap;

use rayon::prelude::*;

use super::fixed::Fixed;
use super::state::FactorState;

/// Which other (non-rotated) terms have a positive share at grid point g (empty without such terms).
pub fn active_other_terms(fx: &Fixed, g: usize) -> Vec<bool> {
    match &fx.others {
        Some(x) => x.terms.iter().map(|t| fx.priors.grid.share(g, t.term) > 0.0).collect(),
        None => Vec::new(),
    }
}

/// The grid points a factor at point `cur` may move to: positive prior weight and, with other terms,
/// the same set of active other terms.
pub fn candidates(fx: &Fixed, cur: usize) -> Vec<usize> {
    let lp = &fx.tables.log_prior_factors;
    let a0 = active_other_terms(fx, cur);
    (0..fx.n_grid()).filter(|&g| lp[g].is_finite() && active_other_terms(fx, g) == a0).collect()
}

/// An active other term of factor h at the current point: its index in the user's order and its
/// offsets `o_m = Zt_m uF_hm` (n).
pub struct ActiveTerm {
    pub term: usize,
    pub o: Vec<f64>,
}

/// The active other terms of factor h at point `cur`. Effects of inactive terms are 0 (drawn so, and
/// scaled from 0), so with one active term its offsets are the factor's `OF_h`.
pub fn active_terms(fx: &Fixed, fs: &FactorState, h: usize, cur: usize) -> Vec<ActiveTerm> {
    let (Some(x), Some(eff)) = (&fx.others, &fs.other) else { return Vec::new() };
    let active: Vec<_> = x.terms.iter().filter(|tm| fx.priors.grid.share(cur, tm.term) > 0.0).collect();
    let u = eff.u.col(h);
    active
        .iter()
        .map(|tm| {
            let o = if active.len() == 1 {
                eff.o.col(h).to_vec()
            } else {
                let mut o = vec![0.0; fx.n];
                for l in 0..tm.r {
                    let ul = u[tm.offset + l];
                    if ul != 0.0 {
                        o.iter_mut().zip(x.zt.col(tm.offset + l)).for_each(|(v, z)| *v += z * ul);
                    }
                }
                o
            };
            ActiveTerm { term: tm.term, o }
        })
        .collect()
}

/// The cell of factor h and its sums (module doc), from block 3b's row statistics `q`, `t`.
pub struct CellSums {
    /// The candidate points.
    pub cand: Vec<usize>,
    /// Index of each candidate's `(aR_g, e_g)` pair in the per-pair sums.
    pub pair: Vec<usize>,
    pub a0: Vec<f64>,
    pub a1: Vec<f64>,
    /// Per pair, `B_m` (M values) and `C_mm'` (M x M, column-major).
    pub b: Vec<Vec<f64>>,
    pub c: Vec<Vec<f64>>,
    pub t: Vec<f64>,
    /// M x M, column-major.
    pub q: Vec<f64>,
    pub active: Vec<ActiveTerm>,
}

impl CellSums {
    /// The sums for factor h at point `cur`; `with_offsets` false leaves out the terms' sums (M = 0).
    pub fn new(fx: &Fixed, fs: &FactorState, h: usize, cur: usize, q: &[f64], t: &[f64], with_offsets: bool) -> Self {
        let cand = candidates(fx, cur);
        let active = if with_offsets { active_terms(fx, fs, h, cur) } else { Vec::new() };
        let m = active.len();
        let (rs, ef, s) = (&fx.tables.rot_share, &fx.tables.efrac, &fx.rot.s);
        let mut index: HashMap<(u64, u64), usize> = HashMap::new();
        let mut pairs = Vec::new();
        let pair: Vec<usize> = cand
            .iter()
            .map(|&g| {
                let key = (rs[g].to_bits(), ef[g].to_bits());
                *index.entry(key).or_insert_with(|| {
                    pairs.push((rs[g], ef[g]));
                    pairs.len() - 1
                })
            })
            .collect();
        // Row products that do not depend on the pair: q_i t_i o_mi, and q_i^2 o_mi o_m'i for m <= m'.
        let dot = |a: &[f64], b: &[f64]| -> f64 { a.iter().zip(b).map(|(x, y)| x * y).sum() };
        let qt: Vec<Vec<f64>> = active.iter().map(|tm| (0..q.len()).map(|i| q[i] * t[i] * tm.o[i]).collect()).collect();
        let mut qq2: Vec<(usize, usize, Vec<f64>)> = Vec::new();
        for (mm, tm) in active.iter().enumerate() {
            for (m2, t2) in active.iter().enumerate().skip(mm) {
                qq2.push((mm, m2, (0..q.len()).map(|i| q[i] * q[i] * tm.o[i] * t2.o[i]).collect()));
            }
        }
        let sums: Vec<(f64, f64, Vec<f64>, Vec<f64>)> = pairs
            .par_iter()
            .map(|&(a, e)| {
                let (mut a0, mut a1) = (0.0, 0.0);
                let r: Vec<f64> = (0..q.len())
                    .map(|i| {
                        let d = a * s[i] + e;
                        let den = 1.0 + d * q[i];
                        let r = d / den;
                        a0 += den.ln();
                        a1 += r * t[i] * t[i];
                        r
                    })
                    .collect();
                let b: Vec<f64> = qt.iter().map(|v| dot(&r, v)).collect();
                let mut c = vec![0.0; m * m];
                for (mm, m2, v) in &qq2 {
                    let x = dot(&r, v);
                    c[m2 * m + mm] = x;
                    c[mm * m + m2] = x;
                }
                (a0, a1, b, c)
            })
            .collect();
        let (mut tt, mut qq) = (vec![0.0; m], vec![0.0; m * m]);
        for (mm, tm) in active.iter().enumerate() {
            tt[mm] = tm.o.iter().zip(t).map(|(o, ti)| o * ti).sum();
            for (m2, t2) in active.iter().enumerate() {
                qq[m2 * m + mm] = (0..q.len()).map(|i| q[i] * tm.o[i] * t2.o[i]).sum();
            }
        }
        let mut out = CellSums { cand, pair, a0: Vec::new(), a1: Vec::new(), b: Vec::new(), c: Vec::new(), t: tt, q: qq, active };
        for (a0, a1, b, c) in sums {
            out.a0.push(a0);
            out.a1.push(a1);
            out.b.push(b);
            out.c.push(c);
        }
        out
    }
}
