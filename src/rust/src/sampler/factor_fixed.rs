//! Block 3: fixed effects of the factors.
//!
//! Factor h in the rotated space: `ft_h = xft bF_h + e`, `e ~ N(0, diag(d_i(h2F_h)))` (total variance 1),
//! `bF_h ~ N(0, diag(sigma2))`, where each column's variance is the one it shares with the same covariate's
//! trait coefficients (README, section 1). The conditional is `N(P^-1 c, P^-1)` with
//! `P = xft' W xft + diag(1/sigma2)`, `c = xft' W ft_h`.

use super::fixed::Fixed;
use super::state::{FactorState, ShrinkState};
use super::numerics::Failures;
use crate::linalg::{cholesky_in_place, solve_lower, solve_upper_t};
use crate::rng::{normal, task_rng, Block};

/// Prior variance of column m of the factor design.
pub(crate) fn bf_prior_var(fx: &Fixed, shrink: &ShrinkState, m: usize) -> f64 {
    match fx.xf_map[m] {
        Some(l) => shrink.sigma2_b[l],
        None => shrink.sigma2_bf[m],
    }
}

/// Block 3, first step: `B_F` given the scores.
pub fn sample(fx: &Fixed, shrink: &ShrinkState, fs: &mut FactorState, it: usize, failures: &Failures) {
    let (bf, k) = (fx.bf, fs.ft.ncol);
    if bf == 0 || k == 0 {
        return;
    }
    let n = fx.n;
    let seed = fx.settings.seed;
    for h in 0..k {
        let w = &fx.tables.w[fs.h2[h]];
        let mut prec = vec![0.0; bf * bf];
        let mut c = vec![0.0; bf];
        let f_owned: Vec<f64> = match &fs.other {
            Some(x) => fs.ft.col(h).iter().zip(x.o.col(h)).map(|(a, b)| a - b).collect(),
            None => fs.ft.col(h).to_vec(),
        };
        let f = &f_owned;
        for a in 0..bf {
            let xa = fx.xft.col(a);
            c[a] = (0..n).map(|i| xa[i] * w[i] * f[i]).sum();
            for b2 in 0..=a {
                let xb = fx.xft.col(b2);
                let v: f64 = (0..n).map(|i| xa[i] * w[i] * xb[i]).sum();
                prec[b2 * bf + a] = v;
                prec[a * bf + b2] = v;
            }
            prec[a * bf + a] += 1.0 / bf_prior_var(fx, shrink, a);
        }
        if !cholesky_in_place(&mut prec, bf) {
            Failures::add(&failures.factor_fixed);
            continue;
        }
        let mut rng = task_rng(seed, Block::FactorFixed, h, it);
        solve_lower(&prec, bf, &mut c);
        for v in c.iter_mut() {
            *v += normal(&mut rng);
        }
        solve_upper_t(&prec, bf, &mut c);
        for a in 0..bf {
            fs.bf.set(a, h, c[a]);
        }
    }
}
