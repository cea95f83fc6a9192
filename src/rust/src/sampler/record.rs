//! What a saved draw holds, and the one narrow interface through which draws leave the chain.
//!
//! [`Recorder::draw`] turns the chain state into a [`Draw`]: the quantities a user sees, on the
//! standardised scale, with the random-effect terms in the user's order and the factors' signs aligned with
//! the first saved draw (G, R, h2 and genetic values do not depend on those signs; summaries of loadings
//! would). A [`DrawSink`] stores draws (in memory: [`super::Posterior`]; a writer to disk can implement the
//! same trait) and never sees the blocks.
//!
//! Per draw and trait j, the share of the phenotypic variance due to term m ("total" h2):
//!
//! `h2_total_jm = (a_jm psi_j + sum_h lambda_jh^2 aF_hm) / (psi_j + sum_h lambda_jh^2)`,
//!
//! with `a_jm`, `aF_hm` the shares of term m at the grid points of trait j and factor h.

use crate::error::Result;
use crate::link::TraitParams;
use crate::linalg::Dense;

use super::archive::{self, Archive};
use super::fixed::Fixed;
use super::state::ChainState;

/// One saved draw (standardised scale; terms in the user's order; matrices column-major).
pub struct Draw {
    /// p x k loadings (sign-aligned).
    pub lambda: Dense,
    /// b x p trait fixed effects.
    pub b: Dense,
    /// bF x k factor fixed effects (sign-aligned).
    pub bf: Dense,
    pub psi: Vec<f64>,
    /// p x M trait-specific shares of each term.
    pub h2: Vec<f64>,
    /// k x M factor shares of each term.
    pub h2f: Vec<f64>,
    /// p x M total shares `diag(G_m) / diag(P)`.
    pub h2_total: Vec<f64>,
    /// Shared fixed-effect variances (NaN for flat columns).
    pub sigma2_b: Vec<f64>,
    pub delta: Vec<f64>,
    /// The families' parameters, trait by trait: the free cut-points `g_2..g_{C-1}` of ordinal traits and
    /// the size r of negative binomial traits; then the measurement variances of each curve, group by
    /// group.
    pub family: Vec<f64>,
}

/// Names of the saved quantities of a [`Draw`], in the order of [`Draw::parts`] (the names R uses).
pub const QUANTITIES: [&str; 10] = ["Lambda", "B", "BF", "psi", "h2", "h2F", "h2_total", "sigma2_b", "delta", "family"];

/// Position of psi in [`QUANTITIES`]: always kept, since it counts the draws (one value per trait).
pub const PSI: usize = 3;

/// Which quantities of each draw are kept (the user's choice; psi always is). Dropping the loadings is
/// what saves memory and disk at large p: they are p x k per draw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Keep([bool; 10]);

impl Default for Keep {
    fn default() -> Self {
        Keep([true; 10])
    }
}

impl Keep {
    /// Keep the named quantities (and psi); an unknown name is an error.
    pub fn only<S: AsRef<str>>(names: &[S]) -> Result<Self> {
        let mut keep = [false; 10];
        keep[PSI] = true;
        for name in names {
            let name = name.as_ref();
            match QUANTITIES.iter().position(|q| *q == name) {
                Some(i) => keep[i] = true,
                None => return Err(crate::error::SlamError::new(format!("unknown saved quantity '{name}'"))),
            }
        }
        Ok(Keep(keep))
    }

    /// Whether quantity `i` of [`QUANTITIES`] is kept.
    pub fn has(&self, i: usize) -> bool {
        self.0[i]
    }
}

impl Draw {
    /// The quantities in the order of [`QUANTITIES`], each column-major.
    pub fn parts(&self) -> [&[f64]; 10] {
        [&self.lambda.data, &self.b.data, &self.bf.data, &self.psi, &self.h2, &self.h2f, &self.h2_total, &self.sigma2_b, &self.delta, &self.family]
    }
}

/// Where saved draws go.
pub trait DrawSink {
    fn record(&mut self, draw: &Draw) -> Result<()>;
}

/// Makes [`Draw`]s from the chain state; remembers the sign reference of the factors.
#[derive(Default)]
pub struct Recorder {
    sign_ref: Option<Dense>,
}

impl Recorder {
    /// The sign reference (absent before the first saved draw).
    pub fn archive(&mut self, a: &mut dyn Archive) -> Result<()> {
        let mut has = self.sign_ref.is_some() as u64;
        archive::count(a, "recorder.has_reference", &mut has)?;
        if has == 1 {
            let r = self.sign_ref.get_or_insert_with(|| Dense::zeros(0, 0));
            archive::dense(a, "recorder.reference", r)?;
        } else {
            self.sign_ref = None;
        }
        Ok(())
    }

    /// Signs that align each factor with the first saved draw.
    pub fn signs(&mut self, lambda: &Dense) -> Vec<f64> {
        let r = self.sign_ref.get_or_insert_with(|| lambda.clone());
        (0..lambda.ncol)
            .map(|h| {
                let dot: f64 = lambda.col(h).iter().zip(r.col(h)).map(|(a, b)| a * b).sum();
                if dot < 0.0 {
                    -1.0
                } else {
                    1.0
                }
            })
            .collect()
    }

    /// The draw of the current state, with factor signs `sign` (from [`Self::signs`]).
    pub fn draw(fx: &Fixed, st: &ChainState, sign: &[f64]) -> Draw {
        let (p, k, mt) = (fx.p, st.k(), fx.n_terms);
        let tr = &st.traits;
        let fs = &st.factors;
        let signed = |m: &Dense| {
            let mut out = m.clone();
            for h in 0..k {
                out.col_mut(h).iter_mut().for_each(|v| *v *= sign[h]);
            }
            out
        };
        let mut h2 = Vec::with_capacity(p * mt);
        let mut h2f = Vec::with_capacity(k * mt);
        let mut h2_total = Vec::with_capacity(p * mt);
        for m in 0..mt {
            h2.extend(tr.h2.iter().map(|&g| fx.share(g, m)));
            h2f.extend(fs.h2.iter().map(|&g| fx.share(g, m)));
            for j in 0..p {
                let (mut gen, mut tot) = (fx.share(tr.h2[j], m) * tr.psi[j], tr.psi[j]);
                for h in 0..k {
                    let l2 = tr.lambda.get(j, h).powi(2);
                    gen += l2 * fx.share(fs.h2[h], m);
                    tot += l2;
                }
                h2_total.push(gen / tot);
            }
        }
        let mut family = Vec::new();
        for par in &st.link.params {
            match par {
                TraitParams::Ordinal(cp) => family.extend_from_slice(cp.free()),
                TraitParams::NegBin(sz) => family.push(sz.r),
                // Probe effects and precisions are many; their posterior means and sds are in the means.
                TraitParams::None | TraitParams::Poisson(_) | TraitParams::Probes(_) => {}
            }
        }
        for c in &st.link.curves {
            family.extend_from_slice(&c.sigma2);
        }
        for c in &st.link.nonlinear {
            family.extend_from_slice(&c.sigma2);
        }
        Draw {
            lambda: signed(&tr.lambda),
            b: tr.b.clone(),
            bf: signed(&fs.bf),
            psi: tr.psi.clone(),
            h2,
            h2f,
            h2_total,
            sigma2_b: st.shrink.sigma2_b.iter().zip(&fx.penalized).map(|(&v, &pen)| if pen { v } else { f64::NAN }).collect(),
            delta: st.shrink.delta.clone(),
            family,
        }
    }
}
