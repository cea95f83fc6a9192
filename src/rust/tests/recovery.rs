//! Recovery of simulated truth: the posterior means of G, R and h2 approach the truth as n grows, and
//! predicted genetic values correlate with the true ones.

mod common;

use common::*;
use slamglmm::covariance::covariance_mean;
use slamglmm::linalg::Dense;
use slamglmm::simulate::Truth;
use slamglmm::Priors;

fn truth(p: usize) -> Truth {
    let mut lambda = Dense::zeros(p, 2);
    for j in 0..p {
        if j < p / 2 + 1 {
            lambda.set(j, 0, 1.0 - 0.05 * j as f64);
        }
        if j >= p / 2 - 1 {
            lambda.set(j, 1, if j % 2 == 0 { 0.8 } else { -0.7 });
        }
    }
    Truth {
        lambda,
        psi: (0..p).map(|j| 0.3 + 0.05 * (j % 4) as f64).collect(),
        h2: (0..p).map(|j| if j % 3 == 0 { 0.0 } else { 0.4 }).collect(),
        h2f: vec![0.8, 0.2],
        b: Dense::from_vec(1, p, (0..p).map(|j| j as f64 * 0.1).collect()).unwrap(),
    }
}

fn true_cov(t: &Truth, genetic: bool) -> Dense {
    let p = t.lambda.nrow;
    let mut g = Dense::zeros(p, p);
    for a in 0..p {
        for b in 0..p {
            let mut s = 0.0;
            for h in 0..2 {
                let w = if genetic { t.h2f[h] } else { 1.0 - t.h2f[h] };
                s += t.lambda.get(a, h) * w * t.lambda.get(b, h);
            }
            if a == b {
                s += t.psi[a] * if genetic { t.h2[a] } else { 1.0 - t.h2[a] };
            }
            g.set(a, b, s);
        }
    }
    g
}

/// Families of full sibs: relatedness 1/2 within a family (more informative than half sibs).
fn full_sib_kinship(n_fam: usize, per_fam: usize) -> Dense {
    let n = n_fam * per_fam;
    let mut k = Dense::identity(n);
    for i in 0..n {
        for j in 0..n {
            if i != j && i / per_fam == j / per_fam {
                k.set(i, j, 0.5);
            }
        }
    }
    k
}

fn rel_error(est: &Dense, tru: &Dense) -> f64 {
    let num: f64 = est.data.iter().zip(&tru.data).map(|(a, b)| (a - b).powi(2)).sum();
    let den: f64 = tru.data.iter().map(|b| b * b).sum();
    (num / den).sqrt()
}

fn corr(a: &[f64], b: &[f64]) -> f64 {
    let n = a.len() as f64;
    let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
    let cov: f64 = a.iter().zip(b).map(|(x, y)| (x - ma) * (y - mb)).sum();
    let va: f64 = a.iter().map(|x| (x - ma).powi(2)).sum();
    let vb: f64 = b.iter().map(|y| (y - mb).powi(2)).sum();
    cov / (va * vb).sqrt()
}

/// (relative error of G, of R, mean correlation of predicted and true genetic values).
fn fit_errors(n_fam: usize, seed: u64) -> (f64, f64, f64) {
    let p = 12;
    let t = truth(p);
    let kin = full_sib_kinship(n_fam, 8);
    let sim = simulate_truth(&t, &kin, seed);
    let data = model_data(&sim, &kin);
    let post = fit(&data, &Priors::default(), &settings(4, 3000, 1000, 4, seed + 1, 2));
    let (k, nd) = (4, post.n_draws);
    let gd: Vec<f64> = post.h2.iter().zip(&post.psi).map(|(h, s)| h * s).collect();
    let rd: Vec<f64> = post.h2.iter().zip(&post.psi).map(|(h, s)| (1.0 - h) * s).collect();
    let rw: Vec<f64> = post.h2f.iter().map(|h| 1.0 - h).collect();
    let g = covariance_mean(&post.lambda, &post.h2f, &gd, p, k, nd).unwrap();
    let r = covariance_mean(&post.lambda, &rw, &rd, p, k, nd).unwrap();
    let u = post.means().u_mean[0].clone();
    let c = (0..p).map(|j| corr(u.col(j), sim.u.col(j))).sum::<f64>() / p as f64;
    (rel_error(&g, &true_cov(&t, true)), rel_error(&r, &true_cov(&t, false)), c)
}

#[test]
fn error_shrinks_with_n_and_genetic_values_are_predicted() {
    // Averages over replicate data sets, so that one unlucky simulation does not decide.
    let avg = |n_fam: usize| {
        let r: Vec<(f64, f64, f64)> = (0..3).map(|s| fit_errors(n_fam, 11 + 2 * s)).collect();
        let m = |f: &dyn Fn(&(f64, f64, f64)) -> f64| r.iter().map(f).sum::<f64>() / r.len() as f64;
        (m(&|x| x.0), m(&|x| x.1), m(&|x| x.2))
    };
    let small = avg(25);
    let large = avg(200);
    eprintln!("n=200: {small:?}; n=1600: {large:?}");
    assert!(large.0 < small.0, "G error should shrink: {small:?} -> {large:?}");
    assert!(large.1 < small.1, "R error should shrink: {small:?} -> {large:?}");
    assert!(large.0 < 0.35, "G error at n = 1600: {}", large.0);
    assert!(large.1 < 0.2, "R error at n = 1600: {}", large.1);
    assert!(large.2 > 0.5, "genetic values: mean correlation {}", large.2);
}

/// The adaptive rule finds the number of clear factors: start with too many and with too few.
#[test]
fn adaptive_rule_recovers_the_number_of_factors() {
    use slamglmm::model::Settings;
    let p = 30;
    let mut lambda = Dense::zeros(p, 3);
    for j in 0..p {
        lambda.set(j, j % 3, if j % 2 == 0 { 1.0 } else { -0.9 });
        lambda.set(j, (j + 1) % 3, 0.5);
    }
    let t = Truth { lambda, psi: vec![0.4; p], h2: vec![0.3; p], h2f: vec![0.6, 0.3, 0.1], b: Dense::from_vec(1, p, vec![0.0; p]).unwrap() };
    let kin = full_sib_kinship(150, 8);
    let sim = simulate_truth(&t, &kin, 3);
    let data = model_data(&sim, &kin);
    for (k0, seed) in [(8, 1), (1, 2)] {
        let s = Settings { k: k0, nitt: 3500, burnin: 3000, thin: 5, seed, threads: 2, adapt: true, k_max: 12, ..Settings::default() };
        let post = fit(&data, &Priors::default(), &s);
        let lm = row_means(&post.lambda, p * post.k);
        for h in 0..post.k { eprintln!("  col {h}: max abs mean loading {:.3}, draws-mean max abs {:.3}", (0..p).map(|j| lm[h * p + j].abs()).fold(0.0, f64::max), (0..post.n_draws).map(|s| (0..p).map(|j| post.lambda[s * p * post.k + h * p + j].abs()).fold(0.0, f64::max)).sum::<f64>() / post.n_draws as f64); }
        eprintln!("start {k0}: k over burn-in ends at {} (trace every 500: {:?})", post.k, post.k_trace.iter().step_by(500).collect::<Vec<_>>());
        // The three clear factors are found from either side; the rule keeps at most a couple of
        // negligible ones beside them (their loadings average below epsilon, single draws scatter).
        assert!((3..=5).contains(&post.k), "started from {k0}: ended with {} factors", post.k);
        let big = (0..post.k).filter(|&h| (0..p).any(|j| lm[h * p + j].abs() > 0.3)).count();
        assert_eq!(big, 3, "started from {k0}: clear factors");
        for h in 0..post.k {
            let m = (0..p).map(|j| lm[h * p + j].abs()).fold(0.0, f64::max);
            assert!(m > 0.3 || m < 0.15, "factor {h} is neither clear nor negligible: {m}");
        }
        assert_eq!(post.lambda.len(), p * post.k * post.n_draws);
    }
}
