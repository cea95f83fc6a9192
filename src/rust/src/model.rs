//! The model's inputs: data, priors and run settings, with the checks that keep the sampler safe.
//!
//! R validates everything first and says what is wrong in R terms; these checks are the last line of
//! defence, so that no input reaching Rust can make it panic. Defaults live here and nowhere else on the
//! Rust side ([`Priors::default`], [`Settings::default`]).

use crate::error::{Result, SlamError};
use crate::grid::Grid;
pub use crate::link::nonlinear::{Curve as NonlinearCurve, CurveHost, Form as NonlinearForm, NoCurves, NonlinearSet};
use crate::linalg::Dense;

/// The observation model of one trait (the link between the data `y_ij` and the latent `h_ij`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    /// `y = h` (with known precision weights: `y = h + e`, `e ~ N(0, 1/w)`).
    Gaussian,
    /// `y = 1(h + o > 0)`; the trait's residual variance is fixed at 1 (liability scale).
    Probit,
    /// `y = c` when `g_{c-1} < h + o <= g_c`, classes `1..=classes`, `g_1 = 0`; variance fixed at 1.
    Ordinal { classes: usize },
    /// `y ~ NB(mean exp(h + o), size r)` with a per-trait size r; `polya_gamma` chooses the latent kernel
    /// (Polya-Gamma augmentation where exact, instead of the Metropolis step).
    NegBin { polya_gamma: bool },
    /// `y ~ Poisson(exp(h + o))`: with the residual in h, a Poisson-lognormal model.
    Poisson,
    /// A gene-level latent trait measured by several probes (a [`ProbeSet`]):
    /// `y_iq = mu_q + h_ij + e_iq`, `e_iq ~ N(0, 1/rho_q)`.
    Probes,
    /// One basis coefficient of a curve measured at an individual's own times (a [`CurveSet`]).
    Curve,
    /// One parameter of a known non-linear response (a [`NonlinearSet`]).
    Nonlinear,
}

impl Family {
    /// Families whose latent scale carries no scale of its own: psi_j is fixed at 1.
    pub fn fixed_variance(&self) -> bool {
        matches!(self, Family::Probit | Family::Ordinal { .. })
    }

    /// Short name, for messages.
    pub fn name(&self) -> &'static str {
        match self {
            Family::Gaussian => "gaussian",
            Family::Probit => "probit",
            Family::Ordinal { .. } => "ordinal",
            Family::NegBin { .. } => "negbin",
            Family::Poisson => "poisson",
            Family::Probes => "probes",
            Family::Curve => "curve",
            Family::Nonlinear => "nonlinear",
        }
    }
}

/// One random-effect term `(1 | g)`: its design and the covariance among its levels.
#[derive(Clone, Debug)]
pub struct Term {
    /// n x r design.
    pub z: Dense,
    /// r x r covariance among levels; None is the identity.
    pub kin: Option<Dense>,
}

/// The probes that measure one gene-level latent trait.
#[derive(Clone, Debug)]
pub struct ProbeSet {
    /// The trait (column of `ModelData::y`, family [`Family::Probes`]).
    pub trait_index: usize,
    /// n x Q probe values (standardised with the gene); NaN = missing.
    pub y: Dense,
}

/// A trait measured repeatedly and described by a basis of time: measurement m of individual `row[m]` at
/// its time is `y_m = phi_m' h_row + e_m`, `e_m ~ N(0, sigma2_{group[m]})`, where `h_row` are the values of
/// the basis coefficients `traits` (latent traits of family [`Family::Curve`]) for that individual.
#[derive(Clone, Debug)]
pub struct CurveSet {
    /// The coefficient traits, in the order of the basis functions.
    pub traits: Vec<usize>,
    /// Individual (row of the model) of each measurement.
    pub row: Vec<usize>,
    /// N x traits.len() basis functions at each measurement's time.
    pub phi: Dense,
    /// The measurements (standardised).
    pub y: Vec<f64>,
    /// Measurement-variance group of each measurement (0-based), and the number of groups.
    pub group: Vec<usize>,
    pub n_groups: usize,
}

/// Data on the standardised scale (Gaussian traits centred and scaled by R; other families as counts,
/// 0/1 or class codes).
#[derive(Clone, Debug)]
pub struct ModelData {
    /// n x p observations; NaN marks a missing entry.
    pub y: Dense,
    /// n x b trait fixed-effect design.
    pub x: Dense,
    /// Per column of `x`: false for a flat prior (the intercept).
    pub penalized: Vec<bool>,
    /// n x bF factor fixed-effect design (no intercept).
    pub xf: Dense,
    /// Per column of `xf`: the column of `x` whose shared variance sigma2_b it uses (README, section 1), or
    /// None for a variance of its own.
    pub xf_map: Vec<Option<usize>>,
    /// The random-effect terms, in the user's order (results are reported in this order).
    pub terms: Vec<Term>,
    /// Observation model per trait; empty means every trait is Gaussian.
    pub families: Vec<Family>,
    /// n x p known precisions of Gaussian observations (None: no measurement error beyond the model).
    pub weights: Option<Dense>,
    /// n x p offsets on the latent scale of non-Gaussian traits (None: zero).
    pub offset: Option<Dense>,
    /// The probes of every trait of family [`Family::Probes`] (their column of `y` is not used).
    pub probes: Vec<ProbeSet>,
    /// The curves whose coefficients are traits of family [`Family::Curve`] (their column of `y` is not
    /// used).
    pub curves: Vec<CurveSet>,
    /// The non-linear responses whose parameters are traits of family [`Family::Nonlinear`].
    pub nonlinear: Vec<NonlinearSet>,
}

impl ModelData {
    /// Gaussian traits, no weights or offsets: the model of the previous versions.
    pub fn gaussian(y: Dense, x: Dense, penalized: Vec<bool>, xf: Dense, xf_map: Vec<Option<usize>>, terms: Vec<Term>) -> Self {
        ModelData {
            y,
            x,
            penalized,
            xf,
            xf_map,
            terms,
            families: Vec::new(),
            weights: None,
            offset: None,
            probes: Vec::new(),
            curves: Vec::new(),
            nonlinear: Vec::new(),
        }
    }
}

/// Priors (see the bridge contract in README.md).
#[derive(Clone, Debug)]
pub struct Priors {
    /// Grid of variance proportions: the share of every random-effect term at each grid point.
    pub grid: Grid,
    /// Prior weights of the grid points for traits and for factors.
    pub h2_prior: Vec<f64>,
    pub h2f_prior: Vec<f64>,
    /// psi_j ~ inverse-gamma(nu/2, nu V/2) (MCMCglmm's V and nu).
    pub psi_v: f64,
    pub psi_nu: f64,
    /// MGPS + ARD prior on the loadings.
    pub lambda_nu: f64,
    pub a1: f64,
    pub a2: f64,
    pub delta_min: f64,
    /// sigma2_b ~ inverse-gamma(shape, scale).
    pub b_shape: f64,
    pub b_scale: f64,
    /// Size r of negative binomial traits: r ~ Gamma(shape, rate).
    pub negbin_shape: f64,
    pub negbin_rate: f64,
    /// Precision rho_q of a probe: rho_q ~ Gamma(shape, rate) (standardised scale).
    pub probe_shape: f64,
    pub probe_rate: f64,
    /// Measurement variance of a curve: sigma2 ~ inverse-gamma(shape, scale) (standardised scale).
    pub curve_shape: f64,
    pub curve_scale: f64,
}

impl Default for Priors {
    fn default() -> Self {
        let g = 20;
        Priors {
            grid: Grid::one_term((0..g).map(|i| i as f64 / g as f64).collect()),
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
            negbin_shape: 0.01,
            negbin_rate: 0.01,
            probe_shape: 2.0,
            probe_rate: 0.2,
            curve_shape: 2.0,
            curve_scale: 0.1,
        }
    }
}

impl Priors {
    /// Priors with the given grid and uniform grid weights, everything else at its default.
    pub fn with_grid(grid: Grid) -> Self {
        let g = grid.len();
        Priors { grid, h2_prior: vec![1.0; g], h2f_prior: vec![1.0; g], ..Priors::default() }
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
    /// Which quantities each saved draw keeps.
    pub keep: crate::sampler::record::Keep,
    /// Also move each factor's grid point with its scores integrated out (block 3b,
    /// `sampler/factor_collapsed.rs`); off only to compare with the plain Gibbs sweep.
    pub collapse_factors: bool,
}

/// Update of the variance proportions with several random-effect terms.
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
            keep: Default::default(),
            collapse_factors: true,
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

    /// Family of trait j.
    pub fn family(&self, j: usize) -> Family {
        self.families.get(j).copied().unwrap_or(Family::Gaussian)
    }

    pub fn validate(&self) -> Result<()> {
        let (n, p) = (self.y.nrow, self.y.ncol);
        if n < 2 {
            return err("Y needs at least two rows");
        }
        if p == 0 {
            return err("Y needs at least one trait");
        }
        if self.y.data.iter().any(|v| v.is_infinite()) {
            return err("Y has infinite values");
        }
        if !self.families.is_empty() && self.families.len() != p {
            return err("families must have one entry per trait");
        }
        for j in 0..p {
            let in_curves = self.curves.iter().filter(|c| c.traits.contains(&j)).count();
            if (self.family(j) == Family::Curve) != (in_curves == 1) || in_curves > 1 {
                return err(format!("trait {} must be a coefficient of exactly one curve if and only if its family is curve", j + 1));
            }
            if self.family(j) == Family::Curve {
                continue;
            }
            let in_nl = self.nonlinear.iter().filter(|c| c.traits.contains(&j)).count();
            if (self.family(j) == Family::Nonlinear) != (in_nl == 1) || in_nl > 1 {
                return err(format!("trait {} must be a parameter of exactly one non-linear response if and only if its family is nonlinear", j + 1));
            }
            if self.family(j) == Family::Nonlinear {
                continue;
            }
            let sets = self.probes.iter().filter(|s| s.trait_index == j).count();
            if self.family(j) == Family::Probes {
                if sets != 1 {
                    return err(format!("trait {} (probes) needs exactly one set of probes", j + 1));
                }
            } else if sets > 0 {
                return err(format!("trait {} has probes but is not of family probes", j + 1));
            } else if self.y.col(j).iter().all(|v| v.is_nan()) {
                return err(format!("trait {} has no observed value", j + 1));
            }
        }
        for c in &self.curves {
            let (m, k) = (c.y.len(), c.traits.len());
            if k == 0 || c.phi.nrow != m || c.phi.ncol != k || c.row.len() != m || c.group.len() != m {
                return err("a curve's basis must have one row per measurement and one column per coefficient");
            }
            if c.row.iter().any(|&r| r >= n) || c.group.iter().any(|&g| g >= c.n_groups) {
                return err("a curve's measurements must name rows of Y and variance groups that exist");
            }
            if c.y.iter().chain(&c.phi.data).any(|v| !v.is_finite()) || c.traits.iter().any(|&j| j >= p) {
                return err("a curve's measurements and basis must be finite and its traits must exist");
            }
        }
        for c in &self.nonlinear {
            let (m, k) = (c.y.len(), c.traits.len());
            if k != c.form.n_par() || c.center.len() != k || c.scale.len() != k {
                return err("a non-linear response needs one trait, centre and scale per parameter");
            }
            if c.time.len() != m || c.row.len() != m || c.group.len() != m || c.n_groups == 0 {
                return err("a non-linear response needs one row, time and group per measurement");
            }
            if c.row.iter().any(|&r| r >= n) || c.group.iter().any(|&g| g >= c.n_groups) || c.traits.iter().any(|&j| j >= p) {
                return err("a non-linear response's measurements must name rows, groups and traits that exist");
            }
            if c.y.iter().chain(&c.time).chain(&c.center).any(|v| !v.is_finite())
                || c.scale.iter().chain([&c.prior_scale]).any(|&s| !(s > 0.0 && s.is_finite()))
            {
                return err("a non-linear response's measurements, times, centres and scales must be finite (scales positive)");
            }
        }
        for s in &self.probes {
            if s.trait_index >= p || s.y.nrow != n || s.y.ncol == 0 {
                return err("each set of probes must have one row per row of Y and at least one probe");
            }
            if s.y.data.iter().any(|v| v.is_infinite()) {
                return err("probe values must be finite or NaN");
            }
            if (0..s.y.ncol).any(|q| s.y.col(q).iter().filter(|v| !v.is_nan()).count() < 2) {
                return err(format!("a probe of trait {} has fewer than two observed values", s.trait_index + 1));
            }
        }
        for j in 0..p {
            self.validate_trait(j)?;
        }
        for (name, m) in [("weights", &self.weights), ("offset", &self.offset)] {
            if let Some(m) = m {
                if m.nrow != n || m.ncol != p {
                    return err(format!("{name} must be n x p"));
                }
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
        for (m, t) in self.terms.iter().enumerate() {
            if t.z.nrow != n || !all_finite(&t.z) {
                return err(format!("Z of term {} must be finite with as many rows as Y", m + 1));
            }
            if let Some(k) = &t.kin {
                if k.nrow != t.z.ncol || k.ncol != t.z.ncol || !all_finite(k) {
                    return err(format!("K of term {} must be finite and square with one row per column of its Z", m + 1));
                }
                for i in 0..k.nrow {
                    for l in 0..i {
                        let (a, b) = (k.get(i, l), k.get(l, i));
                        if (a - b).abs() > 1e-8 * (1.0 + a.abs().max(b.abs())) {
                            return err(format!("K of term {} must be symmetric", m + 1));
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Observations, weights and offsets of trait j fit its family.
    fn validate_trait(&self, j: usize) -> Result<()> {
        let fam = self.family(j);
        let obs = self.y.col(j).iter().filter(|v| !v.is_nan());
        let bad = |what: &str| err(format!("trait {} ({}) {what}", j + 1, fam.name()));
        match fam {
            Family::Gaussian | Family::Probes | Family::Curve | Family::Nonlinear => {}
            Family::Probit => {
                if obs.clone().any(|&v| v != 0.0 && v != 1.0) {
                    return bad("must be coded 0/1");
                }
            }
            Family::Ordinal { classes } => {
                if classes < 2 {
                    return bad("needs at least two classes");
                }
                if obs.clone().any(|&v| v.fract() != 0.0 || v < 1.0 || v > classes as f64) {
                    return bad("must be coded 1..classes");
                }
            }
            Family::NegBin { .. } | Family::Poisson => {
                if obs.clone().any(|&v| v.fract() != 0.0 || v < 0.0 || v > 1e12) {
                    return bad("must hold non-negative whole numbers");
                }
            }
        }
        if let Some(w) = &self.weights {
            for i in 0..self.y.nrow {
                let wi = w.get(i, j);
                if !self.y.get(i, j).is_nan() && !(wi > 0.0 && wi.is_finite()) {
                    return bad("has a weight that is not positive and finite where y is observed");
                }
            }
        }
        if let Some(o) = &self.offset {
            if o.col(j).iter().any(|v| !v.is_finite()) {
                return bad("has a non-finite offset");
            }
        }
        Ok(())
    }
}

impl Priors {
    pub fn validate(&self, n_terms: usize) -> Result<()> {
        let g = self.grid.len();
        if g == 0 {
            return err("the h2 grid is empty");
        }
        if self.grid.n_terms() != n_terms {
            return err(format!(
                "the h2 grid describes {} random-effect terms but the model has {n_terms}",
                self.grid.n_terms()
            ));
        }
        self.grid.validate()?;
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
            ("negbin_shape", self.negbin_shape),
            ("negbin_rate", self.negbin_rate),
            ("probe_shape", self.probe_shape),
            ("probe_rate", self.probe_rate),
            ("curve_shape", self.curve_shape),
            ("curve_scale", self.curve_scale),
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
