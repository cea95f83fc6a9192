//! Times the core at a named size:
//! `cargo run --release --example speed -- n p k threads iters [r2 [route [family]]]`.
//! `r2`: levels of a second, iid random effect (0: none); `route`: 1 full grid, 2 Metropolis (default
//! auto); `family`: 0 Gaussian (default), 1 probit, 2 negative binomial, 3 Poisson-lognormal, 4 negative
//! binomial with Polya-Gamma augmentation (every trait). `SLAM_COLLAPSE=0` in the environment turns off
//! the collapsed factor block (`sampler/factor_collapsed.rs`), to time it.
use std::time::Instant;

use rand_distr::{Distribution, Poisson};
use slamglmm::model::GridRoute;
use slamglmm::simulate::{genomic_kinship, simulate, Truth};
use slamglmm::{run, Dense, Family, Grid, ModelData, Priors, Settings, Silent, Term};

fn main() {
    let a: Vec<usize> = std::env::args().skip(1).map(|s| s.parse().expect("numbers")).collect();
    let (n, p, k, threads, iters) = (a[0], a[1], a[2], a[3], a[4]);
    let r2 = a.get(5).copied().unwrap_or(0);
    let route = match a.get(6).copied().unwrap_or(0) {
        1 => GridRoute::Full,
        2 => GridRoute::Metropolis,
        _ => GridRoute::Auto,
    };
    let family = match a.get(7).copied().unwrap_or(0) {
        1 => Family::Probit,
        2 => Family::NegBin { polya_gamma: false },
        4 => Family::NegBin { polya_gamma: true },
        3 => Family::Poisson,
        _ => Family::Gaussian,
    };
    let kin = genomic_kinship(n, 2 * n, 1);
    let lambda = Dense::from_vec(p, k, (0..p * k).map(|i| if i % 7 == 0 { ((i as f64) * 0.3).sin() } else { 0.0 }).collect()).unwrap();
    let truth = Truth { lambda, psi: vec![0.5; p], h2: vec![0.3; p], h2f: vec![0.5; k], b: Dense::zeros(1, p) };
    let x = Dense::from_vec(n, 1, vec![1.0; n]).unwrap();
    let sim = simulate(&truth, &x, &kin, 2);
    let mut y = sim.y;
    let mut terms = vec![Term { z: Dense::identity(n), kin: Some(kin) }];
    let priors = if r2 > 0 {
        let mut z2 = Dense::zeros(n, r2);
        for i in 0..n {
            z2.set(i, i % r2, 1.0);
        }
        // Block effects of variance 0.2 in every trait, so that the second term is active.
        for j in 0..p {
            for i in 0..n {
                let v = y.get(i, j) + 0.45 * (((i % r2) * 7919 + j * 104729) as f64).sin();
                y.set(i, j, v);
            }
        }
        terms.push(Term { z: z2, kin: None });
        Priors::with_grid(Grid::simplex(2, 20))
    } else {
        Priors::default()
    };
    let mut rng = slamglmm::rng::task_rng(5, slamglmm::rng::Block::Hyper, 0, 0);
    match family {
        Family::Probit => y.data.iter_mut().for_each(|v| *v = (*v > 0.0) as u8 as f64),
        Family::NegBin { .. } | Family::Poisson => y.data.iter_mut().for_each(|v| {
            let mu = (2.0 + 0.7 * *v).exp();
            *v = Poisson::new(mu).map(|d| d.sample(&mut rng)).unwrap_or(0.0);
        }),
        _ => {}
    }
    let mut data = ModelData::gaussian(y, x, vec![false], Dense::zeros(n, 0), vec![], terms);
    data.families = vec![family; p];
    let s0 = Settings { k, nitt: 2, burnin: 1, thin: 1, seed: 1, threads, reorder: true, grid_route: route,
        collapse_factors: std::env::var("SLAM_COLLAPSE").map_or(true, |v| v != "0"), ..Settings::default() };
    let t0 = Instant::now();
    run(&data, &priors, &s0, &mut Silent).unwrap();
    let setup = t0.elapsed().as_secs_f64();
    let s = Settings { nitt: iters + 2, burnin: iters + 1, ..s0 };
    let t1 = Instant::now();
    run(&data, &priors, &s, &mut Silent).unwrap();
    let total = t1.elapsed().as_secs_f64();
    println!(
        "n={n} p={p} k={k} r2={r2} route={route:?} family={} threads={threads}: setup {setup:.2}s, {:.2} ms/iter",
        family.name(),
        (total - setup) / iters as f64 * 1e3
    );
}
