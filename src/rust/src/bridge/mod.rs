//! The R bridge (cargo feature `r`): one documented input list in, one documented output list out.
//! Thin by design: every check that can be phrased for the user is made in R first.

mod fingerprint;
mod input;
mod monitor;
mod output;

use extendr_api::prelude::*;
use extendr_api::Result as RResult;

use crate::covariance;
use crate::sampler::{self, Fixed};
use input::{fail, Input};
use monitor::RMonitor;

/// Runs the sampler on the list described in src/rust/README.md. A failure of the run (a user-written
/// curve that failed, an internal error) comes back as `list(error = message)` for R to raise: an `Err`
/// here would reach R through a panic, whose report is noise to the user.
#[extendr]
fn slam_sample_rust(input: List) -> Robj {
    let run = || -> RResult<Robj> {
        let inp = Input::new(input);
        let data = inp.data()?;
        let priors = inp.priors()?;
        let settings = inp.settings()?;
        let mut monitor = RMonitor::new(inp.verbose()?, inp.interactive()?, inp.curve_functions()?, inp.progress_function()?);
        let opts = inp.run_options()?;
        let post = sampler::run_with(&data, &priors, &settings, &mut monitor, &opts).map_err(|e| Error::Other(e.message))?;
        output::posterior_list(post, data.n(), Fixed::rotated_term(&data.terms))
    };
    run().unwrap_or_else(|e| {
        let msg = match e {
            Error::Other(m) => m,
            other => other.to_string(),
        };
        list!(error = msg).into()
    })
}

/// Posterior mean of `Lambda diag(w) Lambda' + diag(d)` over draws; see `covariance::covariance_mean`.
#[extendr]
fn slam_cov_mean_rust(lambda: Robj, w: Robj, d: Robj, threads: Robj) -> RResult<Robj> {
    let dims: Vec<usize> = match lambda.dim() {
        Some(dd) if dd.len() == 3 => dd.iter().map(|x| Option::<i32>::from(x).unwrap_or(0) as usize).collect(),
        _ => return fail("internal: Lambda must be a 3-d array"),
    };
    let (p, k, t) = (dims[0], dims[1], dims[2]);
    let (Some(l), Some(wv), Some(dv)) = (lambda.as_real_slice(), w.as_real_slice(), d.as_real_slice()) else {
        return fail("internal: Lambda, W and D must be double");
    };
    let nthreads = threads.as_real().map(|x| x as usize).or(threads.as_integer().map(|x| x as usize)).unwrap_or(1);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(nthreads.max(1))
        .build()
        .map_err(|e| Error::Other(e.to_string()))?;
    let c = pool.install(|| covariance::covariance_mean(l, wv, dv, p, k, t)).map_err(|e| Error::Other(e.message))?;
    let mut r: Robj = c.data.into();
    r.set_attrib(dim_symbol(), vec![p as i32, p as i32])?;
    Ok(r)
}

/// A digest of the bridge input (see `fingerprint.rs`): 32 hexadecimal digits.
#[extendr]
fn slam_fingerprint_rust(x: Robj) -> String {
    fingerprint::fingerprint(&x)
}

extendr_module! {
    mod SLAMglmm;
    fn slam_sample_rust;
    fn slam_fingerprint_rust;
    fn slam_cov_mean_rust;
}
