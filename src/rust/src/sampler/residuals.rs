//! Residuals in the rotated space that several blocks share.
//!
//! Traits: `E = yt - xt B - ft Lambda'` with every random effect integrated out ("marginal"), less the
//! offsets `O = Zt U_e` of the non-rotated terms when those are conditioned on. Factors likewise:
//! `ft - xft B_F (- OF)`.

use crate::linalg::{gemm, gemm_nt, Dense};

use super::fixed::Fixed;
use super::state::{FactorState, TraitState};

/// The traits the regressions see: `yt` less the offsets of the non-rotated terms.
pub fn trait_target(yt: &Dense, tr: &TraitState) -> Dense {
    let mut t = yt.clone();
    if let Some(x) = &tr.other {
        t.data.iter_mut().zip(&x.o.data).for_each(|(a, b)| *a -= b);
    }
    t
}

/// `yt - xt B - ft Lambda'`: every random effect integrated out.
pub fn traits_marginal(fx: &Fixed, yt: &Dense, tr: &TraitState, ft: &Dense) -> Dense {
    let mut e = yt.clone();
    gemm(&mut e, true, &fx.xt, false, &tr.b, -1.0);
    if tr.lambda.ncol > 0 {
        gemm_nt(&mut e, true, ft, &tr.lambda, -1.0);
    }
    e
}

/// `yt - O - xt B - ft Lambda'`: given every random effect but the rotated one.
pub fn traits(fx: &Fixed, yt: &Dense, tr: &TraitState, ft: &Dense) -> Dense {
    let mut e = traits_marginal(fx, yt, tr, ft);
    if let Some(x) = &tr.other {
        e.data.iter_mut().zip(&x.o.data).for_each(|(a, b)| *a -= b);
    }
    e
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
