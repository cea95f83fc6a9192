//! Residuals in the rotated space that several blocks share.
//!
//! Traits: `E = yt - xt B - ft Lambda'` with every random effect integrated out ("marginal"), less the
//! offsets `O = Zt U_e` of the non-rotated terms when those are conditioned on. Factors likewise:
//! `ft - xft B_F (- OF)`.

use rayon::prelude::*;

use crate::linalg::{gemm, gemm_nt, Dense};

use super::fixed::Fixed;
use super::state::{FactorState, TraitState};

/// The traits the regressions see: `yt` less the offsets of the non-rotated terms.
pub fn trait_target(yt: &Dense, tr: &TraitState) -> Dense {
    let mut t = Dense::default();
    trait_target_into(yt, tr, &mut t);
    t
}

/// [`trait_target`] into `out` (scratch, reshaped to n x p).
pub fn trait_target_into(yt: &Dense, tr: &TraitState, out: &mut Dense) {
    copy_into(yt, out);
    if let Some(x) = &tr.other {
        out.data.par_chunks_mut(yt.nrow.max(1)).zip(x.o.data.par_chunks(yt.nrow.max(1))).for_each(|(a, o)| {
            a.iter_mut().zip(o).for_each(|(a, b)| *a -= b);
        });
    }
}

/// `out = m`, reusing `out`'s allocation; columns copied in parallel.
fn copy_into(m: &Dense, out: &mut Dense) {
    out.reshape_scratch(m.nrow, m.ncol);
    let n = m.nrow.max(1);
    out.data.par_chunks_mut(n).zip(m.data.par_chunks(n)).for_each(|(a, b)| a.copy_from_slice(b));
}

/// `yt - xt B - ft Lambda'`: every random effect integrated out.
pub fn traits_marginal(fx: &Fixed, yt: &Dense, tr: &TraitState, ft: &Dense) -> Dense {
    let mut e = Dense::default();
    traits_marginal_into(fx, yt, tr, ft, &mut e);
    e
}

/// [`traits_marginal`] into `out` (scratch, reshaped to n x p).
pub fn traits_marginal_into(fx: &Fixed, yt: &Dense, tr: &TraitState, ft: &Dense, out: &mut Dense) {
    copy_into(yt, out);
    gemm(out, true, &fx.xt, false, &tr.b, -1.0);
    if tr.lambda.ncol > 0 {
        gemm_nt(out, true, ft, &tr.lambda, -1.0);
    }
}

/// `yt - O - xt B - ft Lambda'`: given every random effect but the rotated one.
pub fn traits(fx: &Fixed, yt: &Dense, tr: &TraitState, ft: &Dense) -> Dense {
    let mut e = Dense::default();
    traits_into(fx, yt, tr, ft, &mut e);
    e
}

/// [`traits`] into `out` (scratch, reshaped to n x p).
pub fn traits_into(fx: &Fixed, yt: &Dense, tr: &TraitState, ft: &Dense, out: &mut Dense) {
    traits_marginal_into(fx, yt, tr, ft, out);
    if let Some(x) = &tr.other {
        out.data.iter_mut().zip(&x.o.data).for_each(|(a, b)| *a -= b);
    }
}

/// `ft - xft B_F`: every random effect integrated out.
pub fn factors_marginal(fx: &Fixed, fs: &FactorState) -> Dense {
    let mut e = fs.ft.clone();
    gemm(&mut e, true, &fx.xft, false, &fs.bf, -1.0);
    e
}

/// `ft - xft B_F - OF`.
pub fn factors(fx: &Fixed, fs: &FactorState) -> Dense {
    let mut e = factors_marginal(fx, fs);
    if let Some(x) = &fs.other {
        e.data.iter_mut().zip(&x.o.data).for_each(|(a, b)| *a -= b);
    }
    e
}
