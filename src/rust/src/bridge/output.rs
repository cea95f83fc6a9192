//! The one output of the sampler: the named list R receives (documented in `README.md`).

use extendr_api::prelude::*;
use extendr_api::Result as RResult;

use crate::sampler::Posterior;
use crate::Dense;

fn array(data: Vec<f64>, dims: &[usize]) -> RResult<Robj> {
    // R would raise an error inside set_attrib, which cannot unwind through Rust: check here.
    if data.len() != dims.iter().product::<usize>() {
        return Err(Error::Other(format!("internal: an output array has {} values for dimensions {dims:?}", data.len())));
    }
    let mut r: Robj = data.into();
    let d: Vec<i32> = dims.iter().map(|&x| x as i32).collect();
    r.set_attrib(dim_symbol(), d)?;
    Ok(r)
}

fn matrix(m: Dense) -> RResult<Robj> {
    let (r, c) = (m.nrow, m.ncol);
    array(m.data, &[r, c])
}

/// The list of draws, means and run information.
pub fn posterior_list(post: Posterior, n: usize, rotated: Option<usize>) -> RResult<Robj> {
    // Draws kept on disk are read by R from there: the arrays here are then empty (T = 0).
    let on_disk = post.disk.is_some();
    let n_draws = post.n_draws;
    let t = if on_disk { 0 } else { n_draws };
    let (p, k, b, bf, mt) = (post.p, post.k, post.b, post.bf, post.n_terms);
    let nfam = if t > 0 { post.family.len() / t } else { 0 };
    let means = post.means.unwrap_or_else(|| crate::sampler::means::Means {
        u_mean: Vec::new(),
        f_mean: Dense::zeros(n, k),
        h_mean: Dense::zeros(n, p),
        fitted: Dense::zeros(n, p),
        mu_mean: Dense::zeros(0, 0),
        mu_sd: Dense::zeros(0, 0),
        mu_columns: Vec::new(),
        class_probs: Vec::new(),
        probes: Vec::new(),
    });
    let u: Vec<Robj> = means.u_mean.into_iter().map(matrix).collect::<RResult<_>>()?;
    let cp: Vec<Robj> = means.class_probs.into_iter().map(matrix).collect::<RResult<_>>()?;
    let pr: Vec<Robj> = means.probes.into_iter().map(matrix).collect::<RResult<_>>()?;
    let names = [
        "Lambda", "B", "BF", "psi", "h2", "h2F", "h2_total", "sigma2_b", "delta", "family_params", "U_mean",
        "F_mean", "H_mean", "fitted", "class_probs", "probes", "acceptance", "iterations", "interrupted",
        "k_trace", "rotated", "state", "started_at", "n_draws", "draws_on_disk", "mu_mean", "mu_sd", "mu_columns", "numerical_failures",
    ];
    // Quantities the user did not keep are NULL.
    let keep = post.keep;
    let draws = |i: usize, data: Vec<f64>, dims: &[usize]| if keep.has(i) { array(data, dims) } else { Ok(Robj::from(())) };
    let values: Vec<Robj> = vec![
        draws(0, post.lambda, &[p, k, t])?,
        draws(1, post.bmat, &[b, p, t])?,
        draws(2, post.bfmat, &[bf, k, t])?,
        draws(3, post.psi, &[p, t])?,
        draws(4, post.h2, &[p, mt, t])?,
        draws(5, post.h2f, &[k, mt, t])?,
        draws(6, post.h2_total, &[p, mt, t])?,
        draws(7, post.sigma2_b, &[b, t])?,
        draws(8, post.delta, &[k, t])?,
        draws(9, post.family, &[nfam, t])?,
        List::from_values(u).into(),
        matrix(means.f_mean)?,
        matrix(means.h_mean)?,
        matrix(means.fitted)?,
        List::from_values(cp).into(),
        List::from_values(pr).into(),
        Robj::from(post.acceptance),
        Robj::from(post.iterations as i32),
        Robj::from(post.interrupted),
        Robj::from(post.k_trace.iter().map(|&x| x as i32).collect::<Vec<i32>>()),
        Robj::from(rotated.map_or(0, |m| m as i32 + 1)),
        Robj::from(Raw::from_bytes(&post.state)),
        Robj::from(post.started_at as i32),
        Robj::from(n_draws as i32),
        Robj::from(on_disk),
        matrix(means.mu_mean)?,
        matrix(means.mu_sd)?,
        means.mu_columns.iter().map(|&j| j as i32 + 1).collect::<Vec<i32>>().into(),
        List::from_names_and_values(
            post.numerical_failures.iter().map(|(name, _)| *name),
            post.numerical_failures.iter().map(|&(_, c)| Robj::from(c as i32)),
        )?
        .into(),
    ];
    Ok(List::from_names_and_values(names, values)?.into())
}
