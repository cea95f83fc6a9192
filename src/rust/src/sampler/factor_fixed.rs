//! Block 3: fixed effects of the factors.
//!
//! Factor h in the rotated space: `ft_h = xft bF_h + e`, `e ~ N(0, diag(d_i(h2F_h)))` (total variance 1),
//! `bF_h ~ N(0, diag(sigma2))`, where each column's variance is the one it shares with the same covariate's
//! trait coefficients (design eq. 2). The conditional is `N(P^-1 c, P^-1)` with
//! `P = xft' W xft + diag(1/sigma2)`, `c = xft' W ft_h`.

use super::Sampler;
use crate::linalg::{cholesky_in_place, solve_lower, solve_upper_t};
use crate::rng::{normal, task_rng, Block};

impl Sampler {
    /// Prior variance of column m of the factor design.
    pub(crate) fn bf_prior_var(&self, m: usize) -> f64 {
        match self.xf_map[m] {
            Some(l) => self.sigma2_b[l],
            None => self.sigma2_bf[m],
        }
    }

    pub fn sample_factor_fixed(&mut self, it: usize) {
        let bf = self.bf;
        if bf == 0 || self.k == 0 {
            return;
        }
        let n = self.n;
        let seed = self.settings.seed;
        for h in 0..self.k {
            let w = &self.w[self.h2f_idx[h]];
            let mut prec = vec![0.0; bf * bf];
            let mut c = vec![0.0; bf];
            let f_owned: Vec<f64> = match &self.extra {
                Some(x) => self.ft.col(h).iter().zip(x.of.col(h)).map(|(a, b)| a - b).collect(),
                None => self.ft.col(h).to_vec(),
            };
            let f = &f_owned;
            for a in 0..bf {
                let xa = self.xft.col(a);
                c[a] = (0..n).map(|i| xa[i] * w[i] * f[i]).sum();
                for b2 in 0..=a {
                    let xb = self.xft.col(b2);
                    let v: f64 = (0..n).map(|i| xa[i] * w[i] * xb[i]).sum();
                    prec[b2 * bf + a] = v;
                    prec[a * bf + b2] = v;
                }
                prec[a * bf + a] += 1.0 / self.bf_prior_var(a);
            }
            if !cholesky_in_place(&mut prec, bf) {
                continue;
            }
            let mut rng = task_rng(seed, Block::FactorFixed, h, it);
            solve_lower(&prec, bf, &mut c);
            for v in c.iter_mut() {
                *v += normal(&mut rng);
            }
            solve_upper_t(&prec, bf, &mut c);
            for a in 0..bf {
                self.bfmat.set(a, h, c[a]);
            }
        }
    }
}
