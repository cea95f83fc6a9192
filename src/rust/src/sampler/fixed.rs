//! Fixed data of a chain: built once from the model's inputs, never changed while sampling, and shareable
//! between chains.
//!
//! The term with the most levels (ties: the first) is integrated out by the rotation of
//! [`Rotation`]: with `C = Z K Z' = Q diag(s) Q'` every covariance `a C + (1 - a) I` is diagonal in the
//! rotated space `Q' .`, so the sampler keeps the rotated designs `xt = Q' X`, `xft = Q' X_F` and, per grid
//! point g, the rotated-row precisions `w_i(g) = 1 / d_i(g)`, `d_i(g) = a_g s_i + e_g` (a_g: the rotated
//! term's share, e_g: the residual share). The other terms are integrated out analytically by
//! [`OtherTerms`].

use crate::error::{Result, SlamError};
use crate::link::Observations;
use crate::linalg::Dense;
use crate::model::{ModelData, Priors, Settings, Term};
use crate::rotation::Rotation;

use super::others::OtherTerms;

/// Per-grid-point tables of the rotated space.
pub struct GridTables {
    /// Share of the rotated term at each grid point (0 without a random effect).
    pub rot_share: Vec<f64>,
    /// Share of the residual at each grid point.
    pub efrac: Vec<f64>,
    /// `w[g][i] = 1 / d_i(g)`, the rotated-row precisions of grid point g.
    pub w: Vec<Vec<f64>>,
    /// The same as a G x n matrix, for the grid posteriors as one product.
    pub w_mat: Dense,
    /// `sum_i ln d_i(g)`.
    pub logdet: Vec<f64>,
    /// Log prior weights of the grid points, for traits and for factors (normalised).
    pub log_prior_traits: Vec<f64>,
    pub log_prior_factors: Vec<f64>,
    /// Neighbouring grid points (Metropolis route with several terms).
    pub neighbours: Vec<Vec<usize>>,
}

pub struct Fixed {
    pub n: usize,
    pub p: usize,
    pub b: usize,
    pub bf: usize,
    /// Number of unpenalised columns of X.
    pub n_flat: usize,
    pub rot: Rotation,
    /// Index (user order) of the term integrated out by the rotation.
    pub rotated: Option<usize>,
    pub xt: Dense,
    pub xft: Dense,
    pub penalized: Vec<bool>,
    pub xf_map: Vec<Option<usize>>,
    pub priors: Priors,
    pub settings: Settings,
    pub tables: GridTables,
    /// Random-effect terms other than the rotated one.
    pub others: Option<OtherTerms>,
    /// The observation model of every trait.
    pub obs: Observations,
    /// Number of random-effect terms.
    pub n_terms: usize,
    /// Levels of each term (user order).
    pub levels: Vec<usize>,
}

/// Normalised log weights.
fn log_weights(wts: &[f64]) -> Vec<f64> {
    let tot: f64 = wts.iter().sum();
    wts.iter().map(|v| (v / tot).ln()).collect()
}

impl Fixed {
    /// Checks the inputs, rotates the data once and tabulates the grid.
    pub fn new(data: &ModelData, priors: &Priors, settings: &Settings) -> Result<Self> {
        data.validate()?;
        priors.validate(data.terms.len())?;
        settings.validate()?;
        let (n, p) = (data.n(), data.p());
        let (b, bf) = (data.x.ncol, data.xf.ncol);
        let n_flat = data.penalized.iter().filter(|&&x| !x).count();
        if n <= n_flat {
            return Err(SlamError::new("more unpenalised fixed effects than rows"));
        }
        let levels: Vec<usize> = data.terms.iter().map(|t| t.z.ncol).collect();
        let rotated = Self::rotated_term(&data.terms);
        let rot = match rotated {
            Some(m) => Rotation::new(n, Some(&data.terms[m].z), data.terms[m].kin.as_ref())?,
            None => Rotation::new(n, None, None)?,
        };
        let xt = rot.rotate(&data.x);
        let xft = rot.rotate(&data.xf);

        // Grid rows in a canonical order (the rotated term fastest, then the others in the user's order),
        // with their prior weights.
        let other_ids: Vec<usize> = (0..data.terms.len()).filter(|&m| Some(m) != rotated).collect();
        let term_order: Vec<usize> = rotated.into_iter().chain(other_ids.iter().cloned()).collect();
        let rows = priors.grid.canonical_order(&term_order);
        let priors = Priors {
            grid: priors.grid.select_rows(&rows),
            h2_prior: rows.iter().map(|&g| priors.h2_prior[g]).collect(),
            h2f_prior: rows.iter().map(|&g| priors.h2f_prior[g]).collect(),
            ..priors.clone()
        };
        let grid = &priors.grid;
        let ng = grid.len();
        let rot_share: Vec<f64> = (0..ng).map(|g| rotated.map_or(0.0, |m| grid.share(g, m))).collect();
        let efrac: Vec<f64> = (0..ng).map(|g| grid.resid(g)).collect();
        let mut w = Vec::with_capacity(ng);
        let mut logdet = Vec::with_capacity(ng);
        let mut w_mat = Dense::zeros(ng, n);
        for (g, &h2) in rot_share.iter().enumerate() {
            let d: Vec<f64> = rot.s.iter().map(|&s| h2 * s + efrac[g]).collect();
            logdet.push(d.iter().map(|v| v.ln()).sum());
            let wg: Vec<f64> = d.iter().map(|v| 1.0 / v).collect();
            for i in 0..n {
                w_mat.set(g, i, wg[i]);
            }
            w.push(wg);
        }
        let others = if other_ids.is_empty() {
            None
        } else {
            Some(OtherTerms::new(&data.terms, &other_ids, &rot, settings.cache_mb)?)
        };
        let neighbours = if others.is_some() { grid.neighbours() } else { Vec::new() };
        let tables = GridTables {
            rot_share,
            efrac,
            w,
            w_mat,
            logdet,
            log_prior_traits: log_weights(&priors.h2_prior),
            log_prior_factors: log_weights(&priors.h2f_prior),
            neighbours,
        };
        let obs = Observations::new(data, &priors)?;
        Ok(Fixed {
            n,
            p,
            b,
            bf,
            n_flat,
            xt,
            xft,
            penalized: data.penalized.clone(),
            xf_map: data.xf_map.clone(),
            tables,
            others,
            obs,
            n_terms: data.terms.len(),
            levels,
            rot,
            rotated,
            priors,
            settings: settings.clone(),
        })
    }

    /// The term integrated out by the rotation: the one with the most levels (ties: the first); the others
    /// are handled by Woodbury's identity.
    pub fn rotated_term(terms: &[Term]) -> Option<usize> {
        (0..terms.len()).fold(None, |best: Option<usize>, m| match best {
            Some(bm) if terms[bm].z.ncol >= terms[m].z.ncol => Some(bm),
            _ => Some(m),
        })
    }

    /// Number of grid points.
    pub fn n_grid(&self) -> usize {
        self.tables.w.len()
    }

    /// Share of term m (user order) at grid point g.
    pub fn share(&self, g: usize, m: usize) -> f64 {
        self.priors.grid.share(g, m)
    }

    /// Traits grouped by their grid point: (grid index, trait indices), occupied points only.
    pub fn groups(&self, h2: &[usize]) -> Vec<(usize, Vec<usize>)> {
        let mut groups: Vec<Vec<usize>> = vec![Vec::new(); self.n_grid()];
        for (j, &g) in h2.iter().enumerate() {
            groups[g].push(j);
        }
        groups.into_iter().enumerate().filter(|(_, v)| !v.is_empty()).collect()
    }
}
