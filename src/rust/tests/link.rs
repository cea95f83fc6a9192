//! Each family's latent step against its exact conditional: with the linear predictor `eta`, the residual
//! variance `v` (and the family's own parameters) held fixed, repeating the step is a Markov chain whose
//! stationary law is `p(h | y) ∝ p(y | h + o) N(h; eta, v)` (and, for the cut-points and the negative
//! binomial size, their posterior given the rest). Exact moments come from closed forms or numerical
//! quadrature; Monte-Carlo error from batch means.

use slamglmm::link::special::{log_diff_norm_cdf, ln_gamma};
use slamglmm::link::truncnorm::truncated_normal_moments;
use slamglmm::link::{gaussian, negbin, ordinal, poisson, probit, TraitData};
use slamglmm::rng::{task_rng, Block};

fn data<'a>(y: &'a [f64], eta: &'a [f64], v: f64, w: Option<&'a [f64]>, o: Option<&'a [f64]>, missing: &'a [usize]) -> TraitData<'a> {
    TraitData { y, eta, v, weights: w, offset: o, missing, it: 1000, burnin: false }
}

/// Mean and standard error (batch means) of a chain.
fn mean_se(x: &[f64]) -> (f64, f64) {
    let n = x.len();
    let mean = x.iter().sum::<f64>() / n as f64;
    let nb = 50;
    let bs = n / nb;
    let bm: Vec<f64> = (0..nb).map(|b| x[b * bs..(b + 1) * bs].iter().sum::<f64>() / bs as f64).collect();
    let se = (bm.iter().map(|m| (m - mean).powi(2)).sum::<f64>() / (nb * (nb - 1)) as f64).sqrt();
    (mean, se)
}

fn var(x: &[f64]) -> f64 {
    let m = x.iter().sum::<f64>() / x.len() as f64;
    x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / x.len() as f64
}

/// Mean and variance of the density `exp(logf)` on `[lo, hi]` by the trapezoid rule on `m` points.
fn quad_moments(logf: impl Fn(f64) -> f64, lo: f64, hi: f64, m: usize) -> (f64, f64) {
    let h = (hi - lo) / (m - 1) as f64;
    let xs: Vec<f64> = (0..m).map(|i| lo + h * i as f64).collect();
    let lf: Vec<f64> = xs.iter().map(|&x| logf(x)).collect();
    let mx = lf.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let (mut s0, mut s1, mut s2) = (0.0, 0.0, 0.0);
    for (i, (&x, &l)) in xs.iter().zip(&lf).enumerate() {
        let wt = if i == 0 || i == m - 1 { 0.5 } else { 1.0 } * (l - mx).exp();
        s0 += wt;
        s1 += wt * x;
        s2 += wt * x * x;
    }
    let mean = s1 / s0;
    (mean, s2 / s0 - mean * mean)
}

/// Checks a chain's mean (5 batch-means standard errors) and variance (relative `tol`).
fn check_chain(x: &[f64], mean: f64, variance: f64, tol: f64, label: &str) {
    let (m, se) = mean_se(x);
    assert!((m - mean).abs() < 5.0 * se + 1e-12, "{label}: mean {m} vs {mean} (se {se})");
    let v = var(x);
    assert!((v / variance - 1.0).abs() < tol, "{label}: variance {v} vs {variance}");
}

#[test]
fn gaussian_step_with_weights_and_missing_values() {
    let (y, eta, w) = ([1.3, f64::NAN], [0.2, -0.4], [4.0, 1.0]);
    let v = 0.5;
    let reps = 100_000;
    let mut rng = task_rng(1, Block::Link, 0, 0);
    let mut h = [0.0, 0.0];
    let (mut a, mut b) = (Vec::with_capacity(reps), Vec::with_capacity(reps));
    for _ in 0..reps {
        gaussian::draw(&data(&y, &eta, v, Some(&w), None, &[1]), &mut h, &mut rng);
        a.push(h[0]);
        b.push(h[1]);
    }
    // Observed: precision w + 1/v, mean (w y + eta / v) / precision. Missing: N(eta, v).
    let prec = 4.0 + 1.0 / v;
    check_chain(&a, (4.0 * 1.3 + 0.2 / v) / prec, 1.0 / prec, 0.02, "observed");
    check_chain(&b, -0.4, v, 0.02, "missing");
    // Without weights an observed entry stays the data and only the missing rows move.
    let mut h = [1.3, 9.0];
    gaussian::draw(&data(&y, &eta, v, None, None, &[1]), &mut h, &mut rng);
    assert_eq!(h[0], 1.3);
    assert_ne!(h[1], 9.0);
}

#[test]
fn probit_step_draws_the_truncated_normal() {
    // y = 1 with offset 0.3 (threshold -0.3), y = 0 far in the tail, y missing.
    let (y, eta, o) = ([1.0, 0.0, f64::NAN], [-1.0, 4.0, 0.5], [0.3, 0.0, 0.0]);
    let v: f64 = 0.64;
    let reps = 100_000;
    let mut rng = task_rng(2, Block::Link, 0, 0);
    let mut h = [0.0; 3];
    let mut cols = vec![Vec::with_capacity(reps); 3];
    for _ in 0..reps {
        probit::draw(&data(&y, &eta, v, None, Some(&o), &[2]), &mut h, &mut rng);
        for i in 0..3 {
            cols[i].push(h[i]);
        }
    }
    assert!(cols[0].iter().all(|&x| x > -0.3) && cols[1].iter().all(|&x| x <= 0.0));
    let sd = v.sqrt();
    let (m0, v0) = truncated_normal_moments(-1.0, sd, -0.3, f64::INFINITY);
    let (m1, v1) = truncated_normal_moments(4.0, sd, f64::NEG_INFINITY, 0.0);
    check_chain(&cols[0], m0, v0, 0.03, "y = 1");
    check_chain(&cols[1], m1, v1, 0.03, "y = 0, far tail");
    check_chain(&cols[2], 0.5, v, 0.02, "missing");
}

/// Four classes, two free cut-points: Cowles' move (h integrated out) against the exact posterior of
/// (g2, g3) on a grid (flat prior), and the latent draws inside their classes.
#[test]
fn ordinal_cutpoints_target_their_exact_posterior() {
    let n = 120;
    let eta: Vec<f64> = (0..n).map(|i| ((i as f64) * 0.37).sin() * 1.5 + 0.8).collect();
    let v: f64 = 0.7;
    let sd: f64 = (v as f64).sqrt();
    let truth = [f64::NEG_INFINITY, 0.0, 0.9, 1.7, f64::INFINITY];
    // Deterministic classes from a quasi-random liability.
    let y: Vec<f64> = (0..n)
        .map(|i| {
            let z = eta[i] + sd * (((i as f64) * 2.71).sin() * 1.4);
            (1..=4).find(|&c| z <= truth[c]).unwrap_or(4) as f64
        })
        .collect();
    let loglik = |g2: f64, g3: f64| -> f64 {
        let g = [f64::NEG_INFINITY, 0.0, g2, g3, f64::INFINITY];
        (0..n)
            .map(|i| {
                let c = y[i] as usize;
                log_diff_norm_cdf((g[c - 1] - eta[i]) / sd, (g[c] - eta[i]) / sd)
            })
            .sum()
    };
    // Exact posterior moments on a grid over 0 < g2 < g3.
    let (m, hi) = (300, 3.5);
    let step = hi / m as f64;
    let mut pts = Vec::new();
    for a in 0..m {
        for b in (a + 1)..m {
            let (g2, g3) = ((a as f64 + 0.5) * step, (b as f64 + 0.5) * step);
            pts.push((g2, g3, loglik(g2, g3)));
        }
    }
    let mx = pts.iter().map(|t| t.2).fold(f64::NEG_INFINITY, f64::max);
    let (mut s0, mut s2, mut s3, mut s22) = (0.0, 0.0, 0.0, 0.0);
    for &(g2, g3, l) in &pts {
        let w = (l - mx).exp();
        s0 += w;
        s2 += w * g2;
        s3 += w * g3;
        s22 += w * g2 * g2;
    }
    let (e2, e3) = (s2 / s0, s3 / s0);
    let v2 = s22 / s0 - e2 * e2;

    let mut cp = ordinal::Cutpoints::start(4);
    let (mut rng, mut prng) = (task_rng(3, Block::Link, 0, 0), task_rng(3, Block::LinkParams, 0, 0));
    let mut h = vec![0.0; n];
    let reps = 60_000;
    let (mut a2, mut a3) = (Vec::with_capacity(reps), Vec::with_capacity(reps));
    for it in 1..=reps + 2000 {
        let burn = it <= 2000;
        let d = TraitData { y: &y, eta: &eta, v, weights: None, offset: None, missing: &[], it, burnin: burn };
        ordinal::draw(&d, &mut cp, &mut h, &mut rng, &mut prng);
        for i in 0..n {
            let c = y[i] as usize;
            assert!(h[i] > cp.g[c - 1] && h[i] <= cp.g[c], "latent outside its class");
        }
        if !burn {
            a2.push(cp.g[2]);
            a3.push(cp.g[3]);
        }
    }
    let rate = cp.mh.accepted as f64 / cp.mh.proposed as f64;
    assert!(rate > 0.15 && rate < 0.7, "acceptance {rate} (step {})", cp.mh.step);
    let (m2, se2) = mean_se(&a2);
    let (m3, se3) = mean_se(&a3);
    assert!((m2 - e2).abs() < 5.0 * se2 + 2.0 * step, "g2 {m2} vs {e2} (se {se2})");
    assert!((m3 - e3).abs() < 5.0 * se3 + 2.0 * step, "g3 {m3} vs {e3} (se {se3})");
    assert!((var(&a2) / v2 - 1.0).abs() < 0.15, "g2 variance {} vs {v2}", var(&a2));
}

/// `log NB(y | mean exp(h + o), size r)` up to terms constant in h.
fn nb_loglik(y: f64, h: f64, o: f64, r: f64) -> f64 {
    let mu = (h + o).exp();
    y * (h + o) - (y + r) * (r + mu).ln() + r * r.ln()
}

#[test]
fn negbin_latent_step_matches_its_exact_conditional() {
    // (y, eta, v, o, r): zero counts, small, moderate, and a count of a million (large PG shape).
    let cases = [
        (0.0, 0.5, 0.8, 0.0, 2.5),
        (3.0, 0.0, 0.5, 0.4, 0.7),
        (40.0, 2.0, 1.0, 1.0, 12.0),
        (1.0e6, 12.0, 0.3, 1.5, 4.0),
    ];
    for (case, &(y, eta, v, o, r)) in cases.iter().enumerate() {
        let exact = quad_moments(|h| nb_loglik(y, h, o, r) - (h - eta).powi(2) / (2.0 * v), eta - 30.0, eta + 30.0, 200_001);
        let mut rng = task_rng(4, Block::Link, case, 0);
        let (yv, ev, ov) = ([y], [eta], [o]);
        let d = data(&yv, &ev, v, None, Some(&ov), &[]);
        for kernel in [negbin::Kernel::Metropolis, negbin::Kernel::PolyaGamma] {
            let mut h = [exact.0];
            let reps = 100_000;
            let mut x = Vec::with_capacity(reps);
            for _ in 0..reps {
                negbin::draw_latent(&d, kernel, r, &mut h, &mut rng);
                assert!(h[0].is_finite());
                x.push(h[0]);
            }
            check_chain(&x, exact.0, exact.1, 0.03, &format!("negbin case {case}, {kernel:?}"));
        }
    }
}

#[test]
fn negbin_size_step_targets_its_posterior() {
    let n = 80;
    let h: Vec<f64> = (0..n).map(|i| 1.0 + 0.8 * ((i as f64) * 0.77).sin()).collect();
    let y: Vec<f64> = (0..n).map(|i| ((h[i].exp() * (1.0 + 0.9 * ((i as f64) * 1.91).cos())).round()).max(0.0)).collect();
    let (shape, rate) = (2.0, 0.2);
    // Posterior of t = log r: likelihood x Gamma prior x Jacobian r.
    let logpost = |t: f64| {
        let r = t.exp();
        let ll: f64 = (0..n).map(|i| ln_gamma(y[i] + r) - ln_gamma(r) + nb_loglik(y[i], h[i], 0.0, r)).sum();
        ll + shape * t - rate * r
    };
    let (et, vt) = quad_moments(logpost, -6.0, 8.0, 40_001);
    let eta = vec![0.0; n];
    let d = TraitData { y: &y, eta: &eta, v: 1.0, weights: None, offset: None, missing: &[], it: 5000, burnin: false };
    let mut sz = negbin::Size::start(&y, shape, rate);
    sz.mh.step = 0.5;
    let mut rng = task_rng(5, Block::LinkParams, 0, 0);
    let reps = 100_000;
    let mut x = Vec::with_capacity(reps);
    for _ in 0..reps {
        negbin::move_size(&d, &h, &mut sz, &mut rng);
        x.push(sz.r.ln());
    }
    let (m, se) = mean_se(&x);
    assert!((m - et).abs() < 5.0 * se, "log r {m} vs {et} (se {se})");
    assert!((var(&x) / vt - 1.0).abs() < 0.1, "log r variance {} vs {vt}", var(&x));
}

#[test]
fn poisson_step_matches_its_exact_conditional() {
    let cases = [(0.0, 0.3, 2.0, 0.0), (7.0, 1.0, 0.4, 0.5), (250.0, 4.0, 1.5, 1.0), (2.0e5, 10.0, 0.2, 2.0)];
    for (case, &(y, eta, v, o)) in cases.iter().enumerate() {
        let logf = |h: f64| y * (h + o) - (h + o).exp() - (h - eta).powi(2) / (2.0 * v);
        let exact = quad_moments(logf, eta - 30.0, eta + 30.0, 200_001);
        let mut rng = task_rng(6, Block::Link, case, 0);
        let (yv, ev, ov) = ([y], [eta], [o]);
        let d = data(&yv, &ev, v, None, Some(&ov), &[]);
        let mut st = poisson::Stats::default();
        let mut h = [eta];
        let reps = 100_000;
        let mut x = Vec::with_capacity(reps);
        for _ in 0..reps {
            poisson::draw(&d, &mut st, &mut h, &mut rng);
            x.push(h[0]);
        }
        let acc = st.accepted as f64 / st.proposed as f64;
        assert!(acc > 0.6, "poisson case {case}: acceptance {acc}");
        check_chain(&x, exact.0, exact.1, 0.03, &format!("poisson case {case}"));
    }
}

/// Probes of one gene: the latent step with the probes' effects and precisions fixed has a closed form;
/// with the precisions fixed, the chain of latent values and sum-to-zero effects targets the exact joint
/// Gaussian posterior (computed densely, with `mu_Q = -sum_{q<Q} mu_q`).
#[test]
fn probe_steps_match_their_exact_conditionals() {
    use slamglmm::link::probes;
    use slamglmm::linalg::{cholesky_in_place, solve_lower, solve_upper_t, Dense};
    let (n, nq) = (6, 3);
    let mut y = Dense::zeros(n, nq);
    for i in 0..n {
        for q in 0..nq {
            y.set(i, q, ((i * 3 + q) as f64 * 0.83).sin() + 0.3 * q as f64);
        }
    }
    y.set(1, 0, f64::NAN);
    y.set(4, 2, f64::NAN);
    for q in 0..nq {
        y.set(5, q, f64::NAN); // individual 5 has no probe observed
    }
    let eta: Vec<f64> = (0..n).map(|i| 0.2 * i as f64 - 0.5).collect();
    let v = 0.6;
    let yv = vec![f64::NAN; n];
    let d = TraitData { y: &yv, eta: &eta, v, weights: None, offset: None, missing: &[], it: 10, burnin: false };
    let mut st = probes::ProbeState { mu: vec![0.3, -0.1, -0.2], rho: vec![2.0, 5.0, 0.5], shape: 2.0, rate: 0.2 };
    // (1) latent step alone
    let mut rng = task_rng(8, Block::Link, 0, 0);
    let reps = 100_000;
    let mut h = vec![0.0; n];
    let mut draws = vec![Vec::with_capacity(reps); n];
    for _ in 0..reps {
        probes::draw_latent(&d, &y, &st, &mut h, &mut rng);
        for i in 0..n {
            draws[i].push(h[i]);
        }
    }
    for i in 0..n {
        let (mut prec, mut lin) = (1.0 / v, eta[i] / v);
        for q in 0..nq {
            if !y.get(i, q).is_nan() {
                prec += st.rho[q];
                lin += st.rho[q] * (y.get(i, q) - st.mu[q]);
            }
        }
        check_chain(&draws[i], lin / prec, 1.0 / prec, 0.02, &format!("probe latent {i}"));
    }
    // (2) latent values and effects together, precisions fixed: a dense Gaussian in (h, mu_1, mu_2).
    let dim = n + nq - 1;
    let mut a = Dense::zeros(dim, dim);
    let mut bvec = vec![0.0; dim];
    for i in 0..n {
        a.data[i * dim + i] += 1.0 / v;
        bvec[i] += eta[i] / v;
    }
    // mu_q = sum_c M[q][c] theta_{n + c}
    let coef = |q: usize, c: usize| -> f64 { if q < nq - 1 { (q == c) as u8 as f64 } else { -1.0 } };
    for i in 0..n {
        for q in 0..nq {
            let x = y.get(i, q);
            if x.is_nan() {
                continue;
            }
            // residual x - h_i - mu_q with weight rho_q: gradient vector g = e_i + sum_c coef(q,c) e_{n+c}
            let mut gv = vec![0.0; dim];
            gv[i] = 1.0;
            for c in 0..nq - 1 {
                gv[n + c] = coef(q, c);
            }
            for r in 0..dim {
                bvec[r] += st.rho[q] * gv[r] * x;
                for s in 0..dim {
                    a.data[s * dim + r] += st.rho[q] * gv[r] * gv[s];
                }
            }
        }
    }
    let mut l = a.data.clone();
    assert!(cholesky_in_place(&mut l, dim));
    let mut mean = bvec.clone();
    solve_lower(&l, dim, &mut mean);
    solve_upper_t(&l, dim, &mut mean);
    let mut e0 = vec![0.0; dim];
    e0[n] = 1.0;
    solve_lower(&l, dim, &mut e0);
    solve_upper_t(&l, dim, &mut e0);
    let var_mu1 = e0[n];
    let (mut prng, rho) = (task_rng(9, Block::LinkParams, 0, 0), st.rho.clone());
    let mut m1 = Vec::with_capacity(reps);
    let mut h0 = Vec::with_capacity(reps);
    for _ in 0..reps {
        probes::draw_latent(&d, &y, &st, &mut h, &mut rng);
        probes::draw_probes(&y, &h, &mut st, &mut prng);
        st.rho = rho.clone(); // precisions held fixed for this check
        assert!((st.mu.iter().sum::<f64>()).abs() < 1e-12);
        m1.push(st.mu[0]);
        h0.push(h[0]);
    }
    check_chain(&m1, mean[n], var_mu1, 0.05, "probe effect 1");
    let (mh, seh) = mean_se(&h0);
    assert!((mh - mean[0]).abs() < 5.0 * seh, "latent 0: {mh} vs {}", mean[0]);
}

/// Curves: each individual's basis coefficients given its measurements, with the measurement variances
/// held fixed, against the closed-form multivariate normal `N(V (Phi' W y + D^-1 eta), V)`.
#[test]
fn curve_step_matches_its_exact_conditional() {
    use slamglmm::link::curves::{draw, CurveData, CurveState};
    use slamglmm::linalg::{cholesky_in_place, solve_lower, solve_upper_t, Dense};
    use slamglmm::model::CurveSet;
    let (n, k) = (3, 3);
    // individual 0: four times in two variance groups; individual 1: one time; individual 2: none
    let times: [(usize, f64, usize); 5] = [(0, 0.1, 0), (0, 0.4, 0), (0, 0.7, 1), (0, 1.0, 1), (1, 0.5, 0)];
    let mut phi = Dense::zeros(times.len(), k);
    for (m, &(_, t, _)) in times.iter().enumerate() {
        for a in 0..k {
            phi.set(m, a, t.powi(a as i32));
        }
    }
    let set = CurveSet {
        traits: vec![0, 1, 2],
        row: times.iter().map(|x| x.0).collect(),
        phi: phi.clone(),
        y: vec![0.3, 0.9, 1.2, 0.8, -0.4],
        group: times.iter().map(|x| x.2).collect(),
        n_groups: 2,
    };
    let cd = CurveData::new(&set, n, &[0, 1, 2]);
    let sigma2 = vec![0.05, 0.3];
    let mut st = CurveState { sigma2: sigma2.clone(), shape: 2.0, scale: 0.1 };
    let eta = Dense::from_vec(n, k, (0..n * k).map(|i| 0.1 * i as f64 - 0.3).collect()).unwrap();
    let v = vec![0.5, 0.8, 0.3];
    let mut h = Dense::zeros(n, k);
    let reps = 60_000;
    let mut x: Vec<Vec<f64>> = vec![Vec::with_capacity(reps); n * k];
    for it in 0..reps {
        draw(&cd, &mut st, &eta, &v, &mut h, 0, 5, it);
        st.sigma2 = sigma2.clone(); // variances held fixed for this check
        for i in 0..n {
            for a in 0..k {
                x[i * k + a].push(h.get(i, a));
            }
        }
    }
    for i in 0..n {
        let mut prec = vec![0.0; k * k];
        let mut lin: Vec<f64> = (0..k).map(|a| eta.get(i, a) / v[a]).collect();
        for a in 0..k {
            prec[a * k + a] = 1.0 / v[a];
        }
        for (m, &(r, _, g)) in times.iter().enumerate() {
            if r != i {
                continue;
            }
            for a in 0..k {
                lin[a] += phi.get(m, a) * set.y[m] / sigma2[g];
                for b in 0..k {
                    prec[b * k + a] += phi.get(m, a) * phi.get(m, b) / sigma2[g];
                }
            }
        }
        assert!(cholesky_in_place(&mut prec, k));
        let mut mean = lin.clone();
        solve_lower(&prec, k, &mut mean);
        solve_upper_t(&prec, k, &mut mean);
        for a in 0..k {
            let mut e = vec![0.0; k];
            e[a] = 1.0;
            solve_lower(&prec, k, &mut e);
            solve_upper_t(&prec, k, &mut e);
            check_chain(&x[i * k + a], mean[a], e[a], 0.03, &format!("curve individual {i} coefficient {a}"));
        }
    }
}

/// Elliptical slice sampling on a 1-D toy: Gaussian prior N(0.5, 2), likelihood of three measurements of
/// a logistic-like non-linear function; the chain's mean and variance against the exact posterior by
/// quadrature.
#[test]
fn elliptical_slice_sampling_targets_the_exact_posterior() {
    use slamglmm::link::ess;
    let data = [(0.0, 0.4), (1.0, 0.9), (3.0, 1.1)];
    let loglik = |x: &[f64]| -> f64 {
        data.iter().map(|&(t, y)| -(y - 1.2 / (1.0 + (-(t - x[0]) * 2.0).exp())).powi(2) / (2.0 * 0.05)).sum()
    };
    let (m0, v0) = (0.5, 2.0);
    let exact = quad_moments(|x| loglik(&[x]) - (x - m0).powi(2) / (2.0 * v0), -15.0, 15.0, 300_001);
    let mut rng = task_rng(12, Block::Link, 0, 0);
    let mut f = [0.0];
    let reps = 200_000;
    let mut x = Vec::with_capacity(reps);
    let mut evals = 0;
    for _ in 0..reps {
        evals += ess::step(&mut f, &[m0], &[v0], &loglik, &mut rng);
        x.push(f[0]);
    }
    check_chain(&x, exact.0, exact.1, 0.03, "ESS 1-d toy");
    assert!((evals as f64 / reps as f64) < 10.0, "likelihood evaluations per step");
}
