//! Recovery of simulated truth with non-Gaussian traits: liability-scale heritabilities and genetic
//! correlations of binary and ordinal traits approach the truth as n grows, and a negative binomial model
//! of counts recovers the genetic correlations better than a Gaussian model of the same counts as
//! log-CPM.

mod common;

use common::*;
use rand_distr::{Distribution, Gamma as GammaDist, Poisson as PoissonDist};
use slamglmm::covariance::covariance_mean;
use slamglmm::linalg::Dense;
use slamglmm::model::Family;
use slamglmm::rng::{normal, task_rng, Block};
use slamglmm::simulate::{simulate, Truth};
use slamglmm::{Posterior, Priors, Settings};

/// Two factors over p traits, trait-specific variance psi.
fn truth(p: usize, psi: f64) -> Truth {
    let mut lambda = Dense::zeros(p, 2);
    for j in 0..p {
        if j < p / 2 + 1 {
            lambda.set(j, 0, 0.9 - 0.05 * j as f64);
        }
        if j >= p / 2 - 1 {
            lambda.set(j, 1, if j % 2 == 0 { 0.7 } else { -0.6 });
        }
    }
    Truth {
        lambda,
        psi: vec![psi; p],
        h2: (0..p).map(|j| if j % 3 == 0 { 0.1 } else { 0.4 }).collect(),
        h2f: vec![0.7, 0.2],
        b: Dense::from_vec(1, p, vec![0.0; p]).unwrap(),
    }
}

/// Full-sib families of 8: relatedness 1/2 within a family.
fn full_sibs(n_fam: usize) -> Dense {
    block_kinship(n_fam * 8, 8, 0.5)
}

/// Genetic covariance of the truth.
fn true_g(t: &Truth) -> Dense {
    let p = t.lambda.nrow;
    let mut g = Dense::zeros(p, p);
    for a in 0..p {
        for b in 0..p {
            let mut s: f64 = (0..2).map(|h| t.lambda.get(a, h) * t.h2f[h] * t.lambda.get(b, h)).sum();
            if a == b {
                s += t.psi[a] * t.h2[a];
            }
            g.set(a, b, s);
        }
    }
    g
}

/// Posterior-mean genetic covariance of a one-term fit.
fn post_g(post: &Posterior) -> Dense {
    let gd: Vec<f64> = post.h2.iter().zip(&post.psi).map(|(h, s)| h * s).collect();
    covariance_mean(&post.lambda, &post.h2f, &gd, post.p, post.k, post.n_draws).unwrap()
}

/// Root mean square difference of the off-diagonal correlations of two covariance matrices.
fn corr_error(a: &Dense, b: &Dense) -> f64 {
    let p = a.nrow;
    let mut s = 0.0;
    let mut n = 0.0;
    for i in 0..p {
        for j in 0..i {
            let ca = a.get(i, j) / (a.get(i, i) * a.get(j, j)).sqrt();
            let cb = b.get(i, j) / (b.get(i, i) * b.get(j, j)).sqrt();
            s += (ca - cb).powi(2);
            n += 1.0;
        }
    }
    (s / n).sqrt()
}

/// (mean absolute error of liability h2, error of the genetic correlations) for binary and ordinal traits.
fn liability_errors(n_fam: usize, seed: u64) -> (f64, f64) {
    let p = 6;
    let t = truth(p, 1.0);
    let kin = full_sibs(n_fam);
    let sim = simulate(&t, &intercept(kin.nrow), &kin, seed);
    let mut y = sim.y.clone();
    let mut fams = Vec::new();
    for j in 0..p {
        if j % 2 == 0 {
            fams.push(Family::Probit);
            y.col_mut(j).iter_mut().for_each(|v| *v = (*v > 0.3) as u8 as f64);
        } else {
            fams.push(Family::Ordinal { classes: 4 });
            y.col_mut(j).iter_mut().for_each(|v| *v = if *v <= -0.5 { 1.0 } else if *v <= 0.4 { 2.0 } else if *v <= 1.2 { 3.0 } else { 4.0 });
        }
    }
    let mut data = model_data(&sim, &kin);
    data.y = y;
    data.families = fams;
    let st = Settings { k: 3, nitt: 2500, burnin: 1000, thin: 3, seed: seed + 1, threads: 2, ..Settings::default() };
    let post = fit(&data, &Priors::default(), &st);
    let h2t = truth_h2_total(&t);
    let h2e = row_means(&post.h2_total, p);
    let mae = h2e.iter().zip(&h2t).map(|(a, b)| (a - b).abs()).sum::<f64>() / p as f64;
    (mae, corr_error(&post_g(&post), &true_g(&t)))
}

#[test]
fn liability_h2_and_genetic_correlations_are_recovered() {
    let avg = |n_fam: usize| {
        let r: Vec<(f64, f64)> = (0..2).map(|s| liability_errors(n_fam, 31 + 2 * s)).collect();
        (r.iter().map(|x| x.0).sum::<f64>() / 2.0, r.iter().map(|x| x.1).sum::<f64>() / 2.0)
    };
    let small = avg(30);
    let large = avg(200);
    eprintln!("binary/ordinal: n = 240 {small:?}; n = 1600 {large:?}");
    assert!(large.0 < small.0, "h2 error should shrink: {small:?} -> {large:?}");
    assert!(large.1 < small.1, "genetic correlation error should shrink: {small:?} -> {large:?}");
    assert!(large.0 < 0.08, "liability h2 error at n = 1600: {}", large.0);
    assert!(large.1 < 0.15, "genetic correlation error at n = 1600: {}", large.1);
}

/// (h2 error, relative error of G on the log scale, genetic correlation error) of a negative binomial fit
/// of counts and of a Gaussian fit of their log-CPM.
fn count_errors(seed: u64) -> ([f64; 3], [f64; 3]) {
    let p = 8;
    let t = truth(p, 0.5);
    let kin = full_sibs(75);
    let n = kin.nrow;
    let sim = simulate(&t, &intercept(n), &kin, seed);
    let mut rng = task_rng(seed, Block::Hyper, 5, 0);
    // Library sizes vary three-fold; low counts (mean around 3), size 5.
    let lib: Vec<f64> = (0..n).map(|_| (0.5 * normal(&mut rng)).exp()).collect();
    let r = 5.0;
    let mut y = Dense::zeros(n, p);
    let mut offset = Dense::zeros(n, p);
    for j in 0..p {
        for i in 0..n {
            let o = 1.1 + lib[i].ln();
            offset.set(i, j, o);
            let mu = (sim.y.get(i, j) + o).exp();
            let lam = GammaDist::new(r, mu / r).map(|g| g.sample(&mut rng)).unwrap_or(mu);
            y.set(i, j, PoissonDist::new(lam.max(1e-300)).map(|d| d.sample(&mut rng)).unwrap_or(0.0));
        }
    }
    let st = Settings { k: 3, nitt: 2500, burnin: 1000, thin: 3, seed: seed + 1, threads: 2, ..Settings::default() };
    let mut counts = model_data(&sim, &kin);
    counts.y = y.clone();
    counts.families = vec![Family::NegBin { polya_gamma: false }; p];
    counts.offset = Some(offset);
    let nb = fit(&counts, &Priors::default(), &st);
    // log-CPM, standardised per trait as the R front end would (G is put back on the log scale below).
    let mut lcpm = y.clone();
    let mut sds = vec![0.0; p];
    for j in 0..p {
        let col = lcpm.col_mut(j);
        for (i, v) in col.iter_mut().enumerate() {
            *v = ((*v + 0.5) / lib[i]).ln();
        }
        let m = col.iter().sum::<f64>() / n as f64;
        let s = (col.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
        sds[j] = s;
        col.iter_mut().for_each(|v| *v = (*v - m) / s);
    }
    let mut gauss = model_data(&sim, &kin);
    gauss.y = lcpm;
    let ga = fit(&gauss, &Priors::default(), &st);
    let g0 = true_g(&t);
    let h2t = truth_h2_total(&t);
    let mae = |post: &Posterior| row_means(&post.h2_total, p).iter().zip(&h2t).map(|(a, b)| (a - b).abs()).sum::<f64>() / p as f64;
    let rel = |g: &Dense| {
        let num: f64 = g.data.iter().zip(&g0.data).map(|(a, b)| (a - b).powi(2)).sum();
        (num / g0.data.iter().map(|b| b * b).sum::<f64>()).sqrt()
    };
    let g_nb = post_g(&nb);
    let mut g_ga = post_g(&ga);
    for a in 0..p {
        for b in 0..p {
            let v = g_ga.get(a, b) * sds[a] * sds[b];
            g_ga.set(a, b, v);
        }
    }
    ([mae(&nb), rel(&g_nb), corr_error(&g_nb, &g0)], [mae(&ga), rel(&g_ga), corr_error(&g_ga, &g0)])
}

/// Low counts: log-CPM adds counting noise to every trait's variance (h2 too small) and compresses the
/// latent log scale (G too small, by a quarter to a third here); the count model separates both from the
/// latent traits. At this size (600 individuals) the count model's G is unbiased but noisier, so its
/// overall error of G ties with log-CPM's; the bias shows in h2, asserted here, and in G at larger sizes
/// (`validation/non-gaussian.R counts`). Genetic correlations, which independent noise does not bias, are
/// reported beside them.
#[test]
fn count_model_recovers_h2_better_than_log_cpm() {
    let r: Vec<_> = (0..3).map(|s| count_errors(71 + s)).collect();
    let avg = |i: usize, nb: bool| r.iter().map(|x| if nb { x.0[i] } else { x.1[i] }).sum::<f64>() / r.len() as f64;
    eprintln!(
        "negative binomial vs Gaussian on log-CPM: h2 error {:.3} vs {:.3}; relative error of G {:.3} vs {:.3}; genetic correlation error {:.3} vs {:.3}",
        avg(0, true), avg(0, false), avg(1, true), avg(1, false), avg(2, true), avg(2, false)
    );
    assert!(avg(0, true) < avg(0, false), "h2 error: count model vs log-CPM");
}

/// Genes measured by three probes of very different precision (error variances 2, 0.2 and 0.02): the
/// probe model weighs them; averaging the probes first gives every probe the same weight, so the noisy
/// one dominates the residual. Relative error of the genetic covariance matrix (asserted) and mean absolute
/// error of h2 (reported), averaged over four data sets.
#[test]
fn probe_model_recovers_g_better_than_averaged_probes() {
    let p = 6;
    let t = truth(p, 0.5);
    let run = |seed: u64| -> ([f64; 2], [f64; 2]) {
        let kin = full_sibs(50);
        let n = kin.nrow;
        let sim = simulate(&t, &intercept(n), &kin, seed);
        let mut rng = task_rng(seed, Block::Hyper, 6, 0);
        let sd = [2.0f64.sqrt(), 0.2f64.sqrt(), 0.02f64.sqrt()];
        let mut sets = Vec::new();
        let mut avg = Dense::zeros(n, p);
        for j in 0..p {
            let mut y = Dense::zeros(n, 3);
            for q in 0..3 {
                for i in 0..n {
                    y.set(i, q, 0.3 * (q as f64 - 1.0) + sim.y.get(i, j) + sd[q] * normal(&mut rng));
                }
            }
            for i in 0..n {
                avg.set(i, j, (0..3).map(|q| y.get(i, q)).sum::<f64>() / 3.0);
            }
            sets.push(slamglmm::model::ProbeSet { trait_index: j, y });
        }
        let st = Settings { k: 3, nitt: 2500, burnin: 1000, thin: 3, seed: seed + 1, threads: 2, ..Settings::default() };
        let mut pd = model_data(&sim, &kin);
        pd.y = Dense::from_vec(n, p, vec![f64::NAN; n * p]).unwrap();
        pd.families = vec![Family::Probes; p];
        pd.probes = sets;
        let post_p = fit(&pd, &Priors::default(), &st);
        let mut ad = model_data(&sim, &kin);
        ad.y = avg;
        let post_a = fit(&ad, &Priors::default(), &st);
        let g0 = true_g(&t);
        let h2t = truth_h2_total(&t);
        let rel = |g: &Dense| {
            let num: f64 = g.data.iter().zip(&g0.data).map(|(a, b)| (a - b).powi(2)).sum();
            (num / g0.data.iter().map(|b| b * b).sum::<f64>()).sqrt()
        };
        let mae = |post: &Posterior| row_means(&post.h2_total, p).iter().zip(&h2t).map(|(a, b)| (a - b).abs()).sum::<f64>() / p as f64;
        ([rel(&post_g(&post_p)), mae(&post_p)], [rel(&post_g(&post_a)), mae(&post_a)])
    };
    let r: Vec<_> = (0..4).map(|s| run(91 + s)).collect();
    let avg = |i: usize, probes: bool| r.iter().map(|x| if probes { x.0[i] } else { x.1[i] }).sum::<f64>() / r.len() as f64;
    eprintln!(
        "probe model vs averaged probes: G error {:.3} vs {:.3}; h2 error {:.3} vs {:.3}",
        avg(0, true), avg(0, false), avg(1, true), avg(1, false)
    );
    assert!(avg(0, true) < avg(0, false), "G error: probe model vs averaged probes");

}

/// Growth curves: coefficients of a quadratic basis `(1, t, t^2 - 1/3)` on `[-1, 1]` are the traits,
/// individuals measured at three to eight irregular times with error variance 0.1. The genetic covariance
/// function `C(t, s) = phi(t)' G phi(s)` on 11 ages (relative error, four data sets each) is recovered
/// better with four times as many families, and nearly as well as by the Gaussian model of the true
/// coefficients observed without error (the best the curves can do).
#[test]
fn curve_model_recovers_the_genetic_covariance_function() {
    let p = 3;
    let t = truth(p, 0.8);
    let ages: Vec<f64> = (0..11).map(|a| -1.0 + 0.2 * a as f64).collect();
    let basis = |x: f64| [1.0, x, x * x - 1.0 / 3.0];
    let cf = |g: &Dense| -> Vec<f64> {
        let mut c = Vec::new();
        for &a in &ages {
            for &b in &ages {
                let (pa, pb) = (basis(a), basis(b));
                c.push((0..p).map(|i| (0..p).map(|j| pa[i] * g.get(i, j) * pb[j]).sum::<f64>()).sum());
            }
        }
        c
    };
    let c0 = cf(&true_g(&t));
    let run = |n_fam: usize, seed: u64| -> [f64; 2] {
        let kin = full_sibs(n_fam);
        let n = kin.nrow;
        let sim = simulate(&t, &intercept(n), &kin, seed);
        let mut rng = task_rng(seed, Block::Hyper, 8, 0);
        let (mut row, mut ys, mut rows) = (Vec::new(), Vec::new(), Vec::new());
        for i in 0..n {
            for _ in 0..(3 + i % 6) {
                let x = 2.0 * slamglmm::rng::uniform(&mut rng) - 1.0;
                let b = basis(x);
                let mean: f64 = (0..p).map(|a| b[a] * sim.y.get(i, a)).sum();
                row.push(i);
                ys.push(mean + 0.1f64.sqrt() * normal(&mut rng));
                rows.push(b);
            }
        }
        let nm = ys.len();
        let mut phi = Dense::zeros(nm, p);
        for (m, b) in rows.iter().enumerate() {
            for a in 0..p {
                phi.set(m, a, b[a]);
            }
        }
        let mut data = model_data(&sim, &kin);
        data.y = Dense::from_vec(n, p, vec![f64::NAN; n * p]).unwrap();
        data.families = vec![Family::Curve; p];
        data.curves = vec![slamglmm::model::CurveSet { traits: vec![0, 1, 2], row, phi, y: ys, group: vec![0; nm], n_groups: 1 }];
        let st = Settings { k: 2, nitt: 3000, burnin: 1000, thin: 4, seed: seed + 1, threads: 2, ..Settings::default() };
        let err = |post: &Posterior| {
            let c = cf(&post_g(post));
            let num: f64 = c.iter().zip(&c0).map(|(a, b)| (a - b).powi(2)).sum();
            (num / c0.iter().map(|b| b * b).sum::<f64>()).sqrt()
        };
        let oracle = fit(&model_data(&sim, &kin), &Priors::default(), &st);
        [err(&fit(&data, &Priors::default(), &st)), err(&oracle)]
    };
    let mean = |n_fam: usize, seed: u64| {
        let r: Vec<[f64; 2]> = (0..4).map(|s| run(n_fam, seed + s)).collect();
        [0, 1].map(|i| r.iter().map(|x| x[i]).sum::<f64>() / r.len() as f64)
    };
    let (small, large) = (mean(20, 301), mean(80, 311));
    eprintln!(
        "covariance function error, curves (coefficients observed): {:.3} ({:.3}) with 160 individuals, {:.3} ({:.3}) with 640",
        small[0], small[1], large[0], large[1]
    );
    assert!(large[0] < small[0], "error shrinks with n: {:.3} vs {:.3}", large[0], small[0]);
    assert!(large[0] < 1.3 * large[1], "curves {:.3} vs coefficients observed {:.3}", large[0], large[1]);
}
