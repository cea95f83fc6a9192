//! A user-written non-linear response: the individuals' elliptical slice sampling updates advance in
//! lockstep, so that each round needs one evaluation of g for every individual still searching.
//!
//! Round 0 evaluates g at the current parameters of all measured individuals and starts each update
//! ([`ess::Slice::start`]); each later round evaluates g at the proposals of the individuals not yet
//! accepted, and accepts or shrinks each bracket. Every individual draws from its own random stream in the
//! order of [`ess::step`], so the chain is the one the built-in route would give with the same g (tested),
//! whatever the number of threads. A last evaluation at the new parameters gives the residuals for the
//! measurement variances. About 2 + (longest search) calls of g per iteration.

use super::ess::{self, Slice};
use super::nonlinear::{prior_draw, row_rng, CurveHost, NonlinearData, NonlinearState};
use crate::error::{Result, SlamError};
use crate::linalg::Dense;

/// Evaluates g for the measurements of `rows`, individual `rows[r]` at standardised parameters
/// `par[r]`, and returns each individual's values in the order of `nd.by_row`.
fn eval_rows(nd: &NonlinearData, host: &dyn CurveHost, index: usize, rows: &[usize], par: &[Vec<f64>]) -> Result<Vec<Vec<f64>>> {
    let k = nd.pos.len();
    let m: usize = rows.iter().map(|&i| nd.by_row[i].len()).sum();
    let mut p = Dense::zeros(m, k);
    let mut time = Vec::with_capacity(m);
    let mut which = Vec::with_capacity(m);
    let mut at = 0;
    for (r, &i) in rows.iter().enumerate() {
        let natural = nd.natural(&par[r]);
        for &mm in &nd.by_row[i] {
            for a in 0..k {
                p.set(at, a, natural[a]);
            }
            time.push(nd.set.time[mm]);
            which.push(mm);
            at += 1;
        }
    }
    let g = host.eval(index, &p, &time, &which)?;
    if g.len() != m {
        return Err(SlamError::new(format!(
            "the curve function of non-linear response {} returned {} values for {} measurements",
            index + 1,
            g.len(),
            m
        )));
    }
    let mut out = Vec::with_capacity(rows.len());
    let mut at = 0;
    for &i in rows {
        let len = nd.by_row[i].len();
        out.push(g[at..at + len].to_vec());
        at += len;
    }
    Ok(out)
}

/// Moves every individual's parameters (columns `nd.pos` of `h`) with g evaluated by `host`, then the
/// measurement variances.
#[allow(clippy::too_many_arguments)]
pub fn draw(nd: &NonlinearData, st: &mut NonlinearState, eta: &Dense, v: &[f64], h: &mut Dense, index: usize, seed: u64, it: usize, burnin: bool, host: &dyn CurveHost) -> Result<()> {
    let n = h.nrow;
    let vk: Vec<f64> = nd.pos.iter().map(|&c| v[c]).collect();
    let sigma2 = st.sigma2.clone();
    let mean: Vec<Vec<f64>> = (0..n).map(|i| nd.pos.iter().map(|&c| eta.get(i, c)).collect()).collect();
    let mut f: Vec<Vec<f64>> = (0..n).map(|i| nd.pos.iter().map(|&c| h.get(i, c)).collect()).collect();
    let mut rngs: Vec<_> = (0..n).map(|i| row_rng(seed, index, i, it)).collect();
    let measured: Vec<usize> = (0..n).filter(|&i| !nd.by_row[i].is_empty()).collect();
    for i in (0..n).filter(|&i| nd.by_row[i].is_empty()) {
        prior_draw(&mut f[i], &mean[i], &vk, &mut rngs[i]);
    }
    let now: Vec<Vec<f64>> = measured.iter().map(|&i| f[i].clone()).collect();
    let g0 = eval_rows(nd, host, index, &measured, &now)?;
    let mut slices: Vec<Option<Slice>> = (0..n).map(|_| None).collect();
    for (r, &i) in measured.iter().enumerate() {
        let l0 = nd.loglik_given(i, g0[r].iter().copied(), &sigma2);
        slices[i] = Some(Slice::start(&f[i], &mean[i], &vk, l0, &mut rngs[i]));
    }
    let mut active = measured.clone();
    let mut evals = 0;
    for _ in 0..ess::MAX_SHRINKS {
        if active.is_empty() {
            break;
        }
        let props: Vec<Vec<f64>> = active
            .iter()
            .map(|&i| {
                let mut x = vec![0.0; vk.len()];
                if let Some(s) = &slices[i] {
                    s.proposal(&mean[i], &mut x);
                }
                x
            })
            .collect();
        let g = eval_rows(nd, host, index, &active, &props)?;
        evals += active.len();
        let mut still = Vec::with_capacity(active.len());
        for (r, &i) in active.iter().enumerate() {
            let l = nd.loglik_given(i, g[r].iter().copied(), &sigma2);
            let accepted = match &mut slices[i] {
                Some(s) => s.accepts(l, &mut rngs[i]),
                None => true,
            };
            if accepted {
                f[i].clone_from(&props[r]);
            } else {
                still.push(i);
            }
        }
        active = still;
    }
    for (i, row) in f.iter().enumerate() {
        for (a, &c) in nd.pos.iter().enumerate() {
            h.set(i, c, row[a]);
        }
    }
    st.count(nd, evals, burnin);
    let now: Vec<Vec<f64>> = measured.iter().map(|&i| f[i].clone()).collect();
    let g1 = eval_rows(nd, host, index, &measured, &now)?;
    let mut fitted = vec![f64::NAN; nd.set.y.len()];
    for (r, &i) in measured.iter().enumerate() {
        for (&m, &g) in nd.by_row[i].iter().zip(&g1[r]) {
            fitted[m] = g;
        }
    }
    st.draw_variances(&nd.set, &fitted, index, seed, it);
    Ok(())
}
