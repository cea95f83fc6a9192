//! The one input of the sampler, read from the named list R sends (documented in `README.md`).
//!
//! R does all parsing, validation, standardisation and defaults; this module only converts types and
//! reports an internal error when an element is missing or of the wrong type.

use std::collections::HashMap;

use extendr_api::prelude::*;
use extendr_api::Result as RResult;

use crate::grid::Grid;
use crate::sampler::checkpoint::Plan;
use crate::sampler::record::Keep;
use crate::sampler::RunOptions;
use crate::model::{CurveSet, Family, GridRoute, ModelData, NonlinearCurve, NonlinearForm, NonlinearSet, Priors, ProbeSet, Settings, Term};
use crate::Dense;

pub fn fail<T>(msg: impl Into<String>) -> RResult<T> {
    Err(Error::Other(msg.into()))
}

/// The named list as a map.
pub struct Input(HashMap<String, Robj>);

impl Input {
    pub fn new(list: List) -> Self {
        Input(list.iter().map(|(k, v)| (k.to_string(), v)).collect())
    }

    fn field(&self, name: &str) -> RResult<&Robj> {
        match self.0.get(name) {
            Some(r) => Ok(r),
            None => fail(format!("internal: input element '{name}' is missing")),
        }
    }

    fn real_vec(&self, name: &str) -> RResult<Vec<f64>> {
        real_vec_of(self.field(name)?, name)
    }

    fn real(&self, name: &str) -> RResult<f64> {
        match self.real_vec(name)?.as_slice() {
            [x] => Ok(*x),
            _ => fail(format!("internal: '{name}' must be a single number")),
        }
    }

    fn count(&self, name: &str) -> RResult<usize> {
        let x = self.real(name)?;
        if !(x >= 0.0) || x.fract() != 0.0 || x > 1e12 {
            return fail(format!("internal: '{name}' must be a non-negative whole number"));
        }
        Ok(x as usize)
    }

    fn flag(&self, name: &str) -> RResult<bool> {
        match self.field(name)?.as_bool() {
            Some(b) => Ok(b),
            None => fail(format!("internal: '{name}' must be TRUE or FALSE")),
        }
    }

    fn matrix(&self, name: &str) -> RResult<Dense> {
        match matrix_of(self.field(name)?, name)? {
            Some(d) => Ok(d),
            None => fail(format!("internal: '{name}' must not be NULL")),
        }
    }

    /// A matrix or NULL (an absent element is NULL).
    fn optional_matrix(&self, name: &str) -> RResult<Option<Dense>> {
        match self.0.get(name) {
            None => Ok(None),
            Some(r) => matrix_of(r, name),
        }
    }

    /// Column names of a matrix element.
    fn colnames(&self, name: &str) -> RResult<Vec<String>> {
        let r = self.field(name)?;
        let Some(dn) = r.get_attrib(dimnames_symbol()) else { return Ok(Vec::new()) };
        let Some(list) = dn.as_list() else { return Ok(Vec::new()) };
        Ok(list
            .elt(1)
            .ok()
            .and_then(|c| c.as_str_vector().map(|v| v.iter().map(|s| s.to_string()).collect()))
            .unwrap_or_default())
    }

    pub fn verbose(&self) -> RResult<bool> {
        self.flag("verbose")
    }

    pub fn interactive(&self) -> RResult<bool> {
        self.flag("interactive")
    }

    /// How the run starts and saves itself: `resume` (raw bytes of a saved chain, or NULL),
    /// `checkpoint_file` (a path, or NULL), `checkpoint_seconds` and `checkpoint_iterations` (how often;
    /// NA or 0: not by that measure), `fingerprint` (a string naming the model and data), `draws_dir` (keep
    /// the draws on disk, a Zarr group there) and `draws_chunk` (draws per chunk). All optional.
    pub fn run_options(&self) -> RResult<RunOptions> {
        let get = |name: &str| self.0.get(name).filter(|r| !r.is_null());
        let resume = match get("resume") {
            None => None,
            Some(r) => match r.as_raw_slice() {
                Some(b) => Some(b.to_vec()),
                None => return fail("internal: 'resume' must be a raw vector or NULL"),
            },
        };
        let fingerprint = match get("fingerprint") {
            None => Vec::new(),
            Some(r) => match r.as_str() {
                Some(s) => s.as_bytes().to_vec(),
                None => return fail("internal: 'fingerprint' must be a string"),
            },
        };
        let number = |name: &str| -> Option<f64> {
            get(name).and_then(|r| r.as_real().or_else(|| r.as_integer().filter(|&i| i != i32::MIN).map(|i| i as f64))).filter(|x| x.is_finite() && *x > 0.0)
        };
        let checkpoint = match get("checkpoint_file") {
            None => None,
            Some(r) => match r.as_str() {
                Some(path) => Some(Plan {
                    path: path.into(),
                    every_seconds: number("checkpoint_seconds"),
                    every_iterations: number("checkpoint_iterations").map(|x| x as usize),
                }),
                None => return fail("internal: 'checkpoint_file' must be a string or NULL"),
            },
        };
        let draws_on_disk = match get("draws_dir") {
            None => None,
            Some(r) => match r.as_str() {
                Some(dir) => Some((dir.into(), number("draws_chunk").map_or(100, |x| x as usize))),
                None => return fail("internal: 'draws_dir' must be a string or NULL"),
            },
        };
        Ok(RunOptions { resume, checkpoint, fingerprint, draws_on_disk })
    }

    /// The optional `progress` function (chains run elsewhere report through it; absent or NULL: none).
    pub fn progress_function(&self) -> RResult<Option<Function>> {
        match self.0.get("progress") {
            None => Ok(None),
            Some(r) if r.is_null() => Ok(None),
            Some(r) => match Function::try_from(r.clone()) {
                Ok(f) => Ok(Some(f)),
                Err(_) => fail("internal: 'progress' must be a function or NULL"),
            },
        }
    }

    /// The random-effect terms: a list of `list(Z = n x r matrix, K = r x r matrix or NULL)`.
    fn terms(&self) -> RResult<Vec<Term>> {
        let r = self.field("terms")?;
        if r.is_null() {
            return Ok(Vec::new());
        }
        let Some(list) = r.as_list() else { return fail("internal: 'terms' must be a list") };
        list.values()
            .enumerate()
            .map(|(i, t)| {
                let Some(tl) = t.as_list() else { return fail(format!("internal: terms[[{}]] must be a list", i + 1)) };
                let m: HashMap<String, Robj> = tl.iter().map(|(k, v)| (k.to_string(), v)).collect();
                let z = match m.get("Z").map(|z| matrix_of(z, "Z")) {
                    Some(Ok(Some(z))) => z,
                    _ => return fail(format!("internal: terms[[{}]]$Z must be a matrix", i + 1)),
                };
                let kin = match m.get("K") {
                    None => None,
                    Some(k) => matrix_of(k, "K")?,
                };
                Ok(Term { z, kin })
            })
            .collect()
    }

    /// The elements of a list-of-lists input (`probes`, `curves`, `nonlinear`; NULL: none).
    fn elements(&self, name: &str) -> RResult<Vec<Element>> {
        let r = self.field(name)?;
        if r.is_null() {
            return Ok(Vec::new());
        }
        let Some(list) = r.as_list() else { return fail(format!("internal: '{name}' must be a list")) };
        list.values()
            .enumerate()
            .map(|(i, e)| {
                let what = format!("{name}[[{}]]", i + 1);
                let Some(el) = e.as_list() else { return fail(format!("internal: {what} must be a list")) };
                Ok(Element { what, fields: el.iter().map(|(k, v)| (k.to_string(), v)).collect() })
            })
            .collect()
    }

    /// The probe sets: a list of `list(trait = 1-based index, Y = n x Q matrix)`.
    fn probes(&self) -> RResult<Vec<ProbeSet>> {
        self.elements("probes")?
            .iter()
            .map(|e| Ok(ProbeSet { trait_index: e.one_index("trait")?, y: e.matrix("Y")? }))
            .collect()
    }

    /// The curves: a list of `list(traits, row, group (1-based integers), n_groups, phi (N x k), y)`.
    fn curves(&self) -> RResult<Vec<CurveSet>> {
        self.elements("curves")?
            .iter()
            .map(|e| {
                Ok(CurveSet {
                    traits: e.indices("traits")?,
                    row: e.indices("row")?,
                    phi: e.matrix("phi")?,
                    y: e.reals("y")?,
                    group: e.indices("group")?,
                    n_groups: e.count("n_groups")?,
                })
            })
            .collect()
    }

    /// The non-linear responses: a list of `list(curve, traits, center, scale, row, time, y, group,
    /// n_groups, prior_scale, fun, par_names)` (indices 1-based).
    fn nonlinear(&self) -> RResult<Vec<NonlinearSet>> {
        self.elements("nonlinear")?
            .iter()
            .map(|e| {
                let form = match e.get("curve")?.as_str() {
                    Some("logistic") => NonlinearForm::Builtin(NonlinearCurve::Logistic),
                    Some("gompertz") => NonlinearForm::Builtin(NonlinearCurve::Gompertz),
                    Some("exponential") => NonlinearForm::Builtin(NonlinearCurve::Exponential),
                    Some("micmen") => NonlinearForm::Builtin(NonlinearCurve::MichaelisMenten),
                    // The function itself goes to the monitor (`curve_functions`).
                    Some("user") => NonlinearForm::User { n_par: e.reals("traits")?.len() },
                    other => return fail(format!("internal: unknown non-linear curve {other:?}")),
                };
                Ok(NonlinearSet {
                    form,
                    traits: e.indices("traits")?,
                    center: e.reals("center")?,
                    scale: e.reals("scale")?,
                    row: e.indices("row")?,
                    time: e.reals("time")?,
                    y: e.reals("y")?,
                    group: e.indices("group")?,
                    n_groups: e.count("n_groups")?,
                    prior_scale: e.one("prior_scale")?,
                })
            })
            .collect()
    }

    /// The user-written curve of each non-linear response (`nonlinear[[k]]$fun`, NULL for a built-in
    /// one) and its parameters' names, for the monitor that calls them.
    pub fn curve_functions(&self) -> RResult<Vec<Option<(Function, Vec<String>)>>> {
        self.elements("nonlinear")?
            .iter()
            .map(|e| match (e.fields.get("fun"), e.fields.get("par_names")) {
                (Some(f), Some(nm)) if !f.is_null() => {
                    let Ok(fun) = Function::try_from(f.clone()) else { return fail(format!("internal: {}$fun must be a function", e.what)) };
                    let names = nm.as_str_vector().map(|v| v.iter().map(|s| s.to_string()).collect()).unwrap_or_default();
                    Ok(Some((fun, names)))
                }
                _ => Ok(None),
            })
            .collect()
    }

    /// Families per trait from `family` (character) and `n_categories` (integer).
    fn families(&self, p: usize) -> RResult<Vec<Family>> {
        let names = match self.field("family")?.as_str_vector() {
            Some(v) => v.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            None => return fail("internal: 'family' must be a character vector"),
        };
        let cats = self.real_vec("n_categories")?;
        if names.len() != p || cats.len() != p {
            return fail("internal: 'family' and 'n_categories' need one entry per trait");
        }
        names
            .iter()
            .zip(&cats)
            .map(|(f, &c)| match f.as_str() {
                "gaussian" => Ok(Family::Gaussian),
                "probit" => Ok(Family::Probit),
                "ordinal" => Ok(Family::Ordinal { classes: c as usize }),
                "negbin" => Ok(Family::NegBin { polya_gamma: false }),
                "negbin_pg" => Ok(Family::NegBin { polya_gamma: true }),
                "poisson" => Ok(Family::Poisson),
                "probes" => Ok(Family::Probes),
                "curve" => Ok(Family::Curve),
                "nonlinear" => Ok(Family::Nonlinear),
                other => fail(format!("internal: unknown family '{other}'")),
            })
            .collect()
    }

    /// The model's data.
    pub fn data(&self) -> RResult<ModelData> {
        let x = self.matrix("X")?;
        let xf = self.matrix("XF")?;
        let penalized: Vec<bool> = match self.field("penalized")?.as_logical_vector() {
            Some(v) => v.iter().map(|b| b.is_true()).collect(),
            None => return fail("internal: 'penalized' must be logical"),
        };
        // Factor covariates share the variance of the trait covariate with the same name.
        let xnames = self.colnames("X")?;
        let xf_map = self
            .colnames("XF")?
            .iter()
            .map(|nm| xnames.iter().position(|x| x == nm).filter(|&l| penalized.get(l) == Some(&true)))
            .chain(std::iter::repeat(None))
            .take(xf.ncol)
            .collect();
        let y = self.matrix("Y")?;
        let families = self.families(y.ncol)?;
        Ok(ModelData {
            y,
            x,
            penalized,
            xf,
            xf_map,
            terms: self.terms()?,
            families,
            weights: self.optional_matrix("weights")?,
            offset: self.optional_matrix("offset")?,
            probes: self.probes()?,
            curves: self.curves()?,
            nonlinear: self.nonlinear()?,
        })
    }

    pub fn priors(&self) -> RResult<Priors> {
        Ok(Priors {
            grid: Grid::new(self.matrix("h2_grid")?),
            h2_prior: self.real_vec("h2_prior")?,
            h2f_prior: self.real_vec("h2F_prior")?,
            psi_v: self.real("psi_V")?,
            psi_nu: self.real("psi_nu")?,
            lambda_nu: self.real("lambda_nu")?,
            a1: self.real("a1")?,
            a2: self.real("a2")?,
            delta_min: self.real("delta_min")?,
            b_shape: self.real("b_shape")?,
            b_scale: self.real("b_scale")?,
            negbin_shape: self.real("negbin_shape")?,
            negbin_rate: self.real("negbin_rate")?,
            probe_shape: self.real("probe_shape")?,
            probe_rate: self.real("probe_rate")?,
            curve_shape: self.real("curve_shape")?,
            curve_scale: self.real("curve_scale")?,
        })
    }

    pub fn settings(&self) -> RResult<Settings> {
        let seed_parts = self.real_vec("seed")?;
        if seed_parts.len() != 2 || seed_parts.iter().any(|s| !(s.is_finite() && *s >= 0.0)) {
            return fail("internal: 'seed' must be two non-negative numbers");
        }
        Ok(Settings {
            k: self.count("k")?,
            nitt: self.count("nitt")?,
            burnin: self.count("burnin")?,
            thin: self.count("thin")?,
            seed: ((seed_parts[0] as u64) << 32) ^ (seed_parts[1] as u64),
            threads: self.count("threads")?.max(1),
            reorder: true,
            grid_route: match self.field("grid_route")?.as_str() {
                Some("auto") => GridRoute::Auto,
                Some("full") => GridRoute::Full,
                Some("metropolis") => GridRoute::Metropolis,
                other => return fail(format!("internal: unknown grid_route {other:?}")),
            },
            cache_mb: self.count("cache_mb")?,
            adapt: self.flag("adapt")?,
            k_max: self.count("k_max")?,
            adapt_epsilon: self.real("adapt_epsilon")?,
            keep: self.keep()?,
            collapse_factors: self.flag("collapse_factors")?,
        })
    }

    /// `save_draws`: the names of the quantities each saved draw keeps (absent or NULL: all).
    fn keep(&self) -> RResult<Keep> {
        match self.0.get("save_draws").filter(|r| !r.is_null()) {
            None => Ok(Keep::default()),
            Some(r) => match r.as_str_vector() {
                Some(names) => Keep::only(&names).map_err(|e| Error::Other(format!("internal: 'save_draws': {e}"))),
                None => fail("internal: 'save_draws' must be a character vector or NULL"),
            },
        }
    }
}

/// One element of a list-of-lists input, by field name; `what` names it in errors ("curves[[2]]").
struct Element {
    what: String,
    fields: HashMap<String, Robj>,
}

impl Element {
    fn get(&self, name: &str) -> RResult<&Robj> {
        self.fields.get(name).ok_or_else(|| Error::Other(format!("internal: {}${name} is missing", self.what)))
    }

    fn reals(&self, name: &str) -> RResult<Vec<f64>> {
        real_vec_of(self.get(name)?, name)
    }

    fn one(&self, name: &str) -> RResult<f64> {
        match self.reals(name)?.as_slice() {
            [x] => Ok(*x),
            _ => fail(format!("internal: {}${name} must be one number", self.what)),
        }
    }

    /// A count of at least 1.
    fn count(&self, name: &str) -> RResult<usize> {
        match self.one(name)? {
            x if x >= 1.0 && x.fract() == 0.0 => Ok(x as usize),
            _ => fail(format!("internal: {}${name} must be a count", self.what)),
        }
    }

    /// 1-based indices from R, 0-based here.
    fn indices(&self, name: &str) -> RResult<Vec<usize>> {
        let v = self.reals(name)?;
        if v.iter().any(|&x| !(x >= 1.0) || x.fract() != 0.0) {
            return fail(format!("internal: {}${name} must hold 1-based indices", self.what));
        }
        Ok(v.into_iter().map(|x| x as usize - 1).collect())
    }

    fn one_index(&self, name: &str) -> RResult<usize> {
        match self.indices(name)?.as_slice() {
            [x] => Ok(*x),
            _ => fail(format!("internal: {}${name} must be one index", self.what)),
        }
    }

    fn matrix(&self, name: &str) -> RResult<Dense> {
        match matrix_of(self.get(name)?, name)? {
            Some(m) => Ok(m),
            None => fail(format!("internal: {}${name} must be a matrix", self.what)),
        }
    }
}

fn real_vec_of(r: &Robj, name: &str) -> RResult<Vec<f64>> {
    if let Some(v) = r.as_real_vector() {
        return Ok(v);
    }
    if let Some(v) = r.as_integer_vector() {
        return Ok(v.into_iter().map(|x| x as f64).collect());
    }
    fail(format!("internal: '{name}' must be numeric"))
}

/// A double matrix (or NULL -> None).
pub fn matrix_of(r: &Robj, name: &str) -> RResult<Option<Dense>> {
    if r.is_null() {
        return Ok(None);
    }
    let dims: Vec<usize> = match r.dim() {
        Some(d) if d.len() == 2 => d.iter().map(|x| Option::<i32>::from(x).unwrap_or(0) as usize).collect(),
        _ => return fail(format!("internal: '{name}' must be a matrix")),
    };
    let data = match r.as_real_slice() {
        Some(s) => s.to_vec(),
        None => return fail(format!("internal: '{name}' must be a double matrix")),
    };
    Dense::from_vec(dims[0], dims[1], data).map(Some).map_err(|e| Error::Other(e.message))
}
