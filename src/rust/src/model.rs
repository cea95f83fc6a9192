//! The model's inputs: data, priors and run settings, with the checks that keep the sampler safe.
//!
//! R validates everything first and says what is wrong in R terms; these checks are the last line of
//! defence, so that no input reaching Rust can make it panic.

use crate::error::{Result, SlamError};
use crate::linalg::Dense;

/// Data on the standardised scale.
#[derive(Clone, Debug)]
pub struct ModelData {
    /// n x p traits; NaN marks a missing entry.
    pub y: Dense,
    /// n x b trait fixed-effect design.
    pub x: Dense,
    /// Per column of `x`: false for a flat prior (the intercept).
    pub penalized: Vec<bool>,
    /// n x bF factor fixed-effect design (no intercept).
    pub xf: Dense,
    /// Per column of `xf`: the column of `x` whose shared variance sigma2_b it uses (design eq. 2), or
    /// None for a variance of its own.
    pub xf_map: Vec<Option<usize>>,
    /// n x r design of the random effect, or None when the model has none.
    pub z: Option<Dense>,
    /// r x r covariance among levels; None is the identity.
    pub kin: Option<Dense>,
    /// Further random-effect terms (2..M): their designs (n x r_m) ...
    pub z_extra: Vec<Dense>,
    /// ... and covariances among their levels (None: identity).
    pub kin_extra: Vec<Option<Dense>>,
}

/// Priors (see the bridge contract in README.md).
#[derive(Clone, Debug)]
pub struct Priors {
    /// Grid of variance proportions: the first random-effect term's share at each grid point ...
    pub h2_grid: Vec<f64>,
    /// ... and the shares of the further terms (one inner vector of length M - 1 per grid point; empty
    /// inner vectors, or an empty outer vector, with one term or none). The residual gets the rest.
    pub h2_grid_extra: Vec<Vec<f64>>,
    pub h2_prior: Vec<f64>,
    pub h2f_prior: Vec<f64>,
    pub psi_v: f64,
    pub psi_nu: f64,
    pub lambda_nu: f64,
    pub a1: f64,
    pub a2: f64,
    pub delta_min: f64,
    pub b_shape: f64,
    pub b_scale: f64,
}

impl Default for Priors {
    fn default() -> Self {
        let g = 20;
        Priors {
            h2_grid: (0..g).map(|i| i as f64 / g as f64).collect(),
            h2_grid_extra: Vec::new(),
            h2_prior: vec![1.0 / g as f64; g],
            h2f_prior: vec![1.0 / g as f64; g],
            psi_v: 1.0,
            psi_nu: 3.0,
            lambda_nu: 3.0,
            a1: 2.1,
            a2: 3.1,
            delta_min: 1.0,
            b_shape: 2.0,
            b_scale: 1.0,
        }
    }
}

/// Run settings.
#[derive(Clone, Debug)]
pub struct Settings {
    pub k: usize,
    pub nitt: usize,
    pub burnin: usize,
    pub thin: usize,
    pub seed: u64,
    pub threads: usize,
    /// Re-order factors by size during burn-in.
    pub reorder: bool,
    /// How variance proportions move when there are several random-effect terms.
    pub grid_route: GridRoute,
    /// Memory budget (MiB) for the cached per-grid-point factorisations of several random-effect terms.
    pub cache_mb: usize,
    /// Adapt the number of factors during burn-in (Bhattacharya & Dunson 2011).
    pub adapt: bool,
    /// Upper limit of the number of factors when adapting.
    pub k_max: usize,
    /// A factor whose loadings are all below this (standardised scale) is negligible.
    pub adapt_epsilon: f64,
}

/// Update of the variance proportions with several random-effect terms (design section 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GridRoute {
    /// Full grid when it has at most 64 points, Metropolis steps otherwise.
    Auto,
    /// Evaluate every grid point (exact Gibbs draw).
    Full,
    /// Metropolis moves to neighbouring grid points.
    Metropolis,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            k: 0,
            nitt: 1000,
            burnin: 100,
            thin: 1,
            seed: 1,
            threads: 1,
            reorder: true,
            grid_route: GridRoute::Auto,
            cache_mb: 1024,
            adapt: false,
            k_max: 0,
            adapt_epsilon: 0.15,
        }
    }
}

impl Settings {
    /// Number of draws a complete run saves.
    pub fn n_saved(&self) -> usize {
        if self.nitt <= self.burnin || self.thin == 0 {
            0
        } else {
            (self.nitt - self.burnin) / self.thin
        }
    }

    /// Whether iteration `it` (1-based) is saved.
    pub fn is_saved(&self, it: usize) -> bool {
        it > self.burnin && (it - self.burnin) % self.thin == 0
    }
}

fn err<T>(msg: impl Into<String>) -> Result<T> {
    Err(SlamError::new(msg))
}

fn all_finite(m: &Dense) -> bool {
    m.data.iter().all(|v| v.is_finite())
}

impl ModelData {
    pub fn n(&self) -> usize {
        self.y.nrow
    }
    pub fn p(&self) -> usize {
        self.y.ncol
    }

    pub fn validate(&self) -> Result<()> {
        let n = self.y.nrow;
        if n < 2 {
            return err("Y needs at least two rows");
        }
        if self.y.ncol == 0 {
            return err("Y needs at least one trait");
        }
        if self.y.data.iter().any(|v| v.is_infinite()) {
            return err("Y has infinite values");
        }
        for j in 0..self.y.ncol {
            if self.y.col(j).iter().all(|v| v.is_nan()) {
                return err(format!("trait {} has no observed value", j + 1));
            }
        }
        if self.x.nrow != n || self.xf.nrow != n {
            return err("X and XF must have as many rows as Y");
        }
        if !all_finite(&self.x) || !all_finite(&self.xf) {
            return err("X and XF must be finite (no NA)");
        }
        if self.penalized.len() != self.x.ncol {
            return err("penalized must have one entry per column of X");
        }
        if self.xf_map.len() != self.xf.ncol {
            return err("xf_map must have one entry per column of XF");
        }
        if self.xf_map.iter().flatten().any(|&l| l >= self.x.ncol || !self.penalized[l]) {
            return err("xf_map must point at penalized columns of X");
        }
        if let Some(z) = &self.z {
            if z.nrow != n {
                return err("Z must have as many rows as Y");
            }
            if !all_finite(z) {
                return err("Z must be finite");
            }
            if let Some(k) = &self.kin {
                if k.nrow != z.ncol || k.ncol != z.ncol {
                    return err("K must be square with one row per column of Z");
                }
                if !all_finite(k) {
                    return err("K must be finite");
                }
                for i in 0..k.nrow {
                    for j in 0..i {
                        let (a, b) = (k.get(i, j), k.get(j, i));
                        if (a - b).abs() > 1e-8 * (1.0 + a.abs().max(b.abs())) {
                            return err("K must be symmetric");
                        }
                    }
                }
            }
        } else if self.kin.is_some() {
            return err("K given without Z");
        }
        if self.kin_extra.len() != self.z_extra.len() {
            return err("K_extra must have one entry per matrix of Z_extra");
        }
        if !self.z_extra.is_empty() && self.z.is_none() {
            return err("Z_extra given without Z");
        }
        for (m, (z, k)) in self.z_extra.iter().zip(&self.kin_extra).enumerate() {
            if z.nrow != n || !all_finite(z) {
                return err(format!("Z_extra[{}] must be finite with as many rows as Y", m + 1));
            }
            if let Some(k) = k {
                if k.nrow != z.ncol || k.ncol != z.ncol || !all_finite(k) {
                    return err(format!("K_extra[{}] must be finite and square with one row per column of its Z", m + 1));
                }
            }
        }
        Ok(())
    }
}

impl Priors {
    /// Number of random-effect terms the grid describes (0 when there is none).
    pub fn n_terms(&self, has_random: bool) -> usize {
        if !has_random {
            0
        } else {
            1 + self.h2_grid_extra.first().map_or(0, |v| v.len())
        }
    }

    /// Share of the residual at grid point g.
    pub fn resid_frac(&self, g: usize) -> f64 {
        1.0 - self.h2_grid[g] - self.h2_grid_extra.get(g).map_or(0.0, |v| v.iter().sum::<f64>())
    }

    /// Share of term m (0-based) at grid point g.
    pub fn share(&self, g: usize, m: usize) -> f64 {
        if m == 0 {
            self.h2_grid[g]
        } else {
            self.h2_grid_extra[g][m - 1]
        }
    }

    pub fn validate(&self, has_random: bool) -> Result<()> {
        let g = self.h2_grid.len();
        if !self.h2_grid_extra.is_empty() {
            if self.h2_grid_extra.len() != g {
                return err("h2_grid_extra must have one row per grid point");
            }
            let m = self.h2_grid_extra[0].len();
            if self.h2_grid_extra.iter().any(|v| v.len() != m || v.iter().any(|&x| !(0.0..1.0).contains(&x))) {
                return err("h2_grid_extra rows must have equal length and values in [0, 1)");
            }
        }
        if (0..g).any(|i| !(self.resid_frac(i) > 1e-12)) {
            return err("every grid point must leave a positive residual share");
        }
        if g == 0 {
            return err("h2_grid is empty");
        }
        if self.h2_grid.iter().any(|&h| !(0.0..1.0).contains(&h)) {
            return err("h2_grid values must lie in [0, 1)");
        }
        if !has_random && (g != 1 || self.h2_grid[0] != 0.0) {
            return err("without a random effect the h2 grid must be the single point 0");
        }
        for (name, w) in [("h2_prior", &self.h2_prior), ("h2F_prior", &self.h2f_prior)] {
            if w.len() != g {
                return err(format!("{name} must have one weight per grid point"));
            }
            if w.iter().any(|&v| !(v >= 0.0) || !v.is_finite()) || w.iter().sum::<f64>() <= 0.0 {
                return err(format!("{name} must be non-negative with a positive sum"));
            }
        }
        let pos = [
            ("psi_V", self.psi_v),
            ("psi_nu", self.psi_nu),
            ("lambda_nu", self.lambda_nu),
            ("a1", self.a1),
            ("a2", self.a2),
            ("b_shape", self.b_shape),
            ("b_scale", self.b_scale),
        ];
        for (name, v) in pos {
            if !(v > 0.0) || !v.is_finite() {
                return err(format!("{name} must be positive and finite"));
            }
        }
        if !(self.delta_min >= 0.0) || !self.delta_min.is_finite() {
            return err("delta_min must be non-negative and finite");
        }
        Ok(())
    }
}

impl Settings {
    pub fn validate(&self) -> Result<()> {
        if self.thin == 0 {
            return err("thin must be at least 1");
        }
        if self.nitt <= self.burnin {
            return err("nitt must exceed burnin");
        }
        if self.n_saved() == 0 {
            return err("no draw would be saved: increase nitt or decrease thin");
        }
        if self.threads == 0 {
            return err("threads must be at least 1");
        }
        if self.nitt >= (1 << 28) {
            return err("nitt is too large");
        }
        Ok(())
    }
}

/// Checks that the grid has one share per random-effect term of the data.
pub fn check_terms(data: &ModelData, priors: &Priors) -> Result<()> {
    let has = data.z.is_some();
    let m = priors.n_terms(has);
    let want = if has { 1 + data.z_extra.len() } else { 0 };
    if m != want {
        return err(format!("the h2 grid describes {m} random-effect terms but the model has {want}"));
    }
    Ok(())
}
