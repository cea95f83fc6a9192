//! Times the core at a named size: `cargo run --release --example speed -- n p k threads iters`.
use std::time::Instant;

use slamglmm::simulate::{genomic_kinship, simulate, Truth};
use slamglmm::{run, Dense, ModelData, Priors, Settings, Silent};

fn main() {
    let a: Vec<usize> = std::env::args().skip(1).map(|s| s.parse().expect("numbers")).collect();
    let (n, p, k, threads, iters) = (a[0], a[1], a[2], a[3], a[4]);
    // Optional sixth argument: levels of a second, iid random effect (0: none).
    let r2 = a.get(5).copied().unwrap_or(0);
    // Optional seventh argument: 1 forces the full-grid route, 2 the Metropolis route (default: auto).
    let route = match a.get(6).copied().unwrap_or(0) {
        1 => slamglmm::model::GridRoute::Full,
        2 => slamglmm::model::GridRoute::Metropolis,
        _ => slamglmm::model::GridRoute::Auto,
    };
    let kin = genomic_kinship(n, 2 * n, 1);
    let lambda = Dense::from_vec(p, k, (0..p * k).map(|i| if i % 7 == 0 { ((i as f64) * 0.3).sin() } else { 0.0 }).collect()).unwrap();
    let truth = Truth { lambda, psi: vec![0.5; p], h2: vec![0.3; p], h2f: vec![0.5; k], b: Dense::zeros(1, p) };
    let x = Dense::from_vec(n, 1, vec![1.0; n]).unwrap();
    let sim = simulate(&truth, &x, &kin, 2);
    let mut y = sim.y;
    let (z_extra, kin_extra, priors) = if r2 > 0 {
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
        let d = 20;
        let (mut g1, mut g2) = (Vec::new(), Vec::new());
        for i in 0..d {
            for j in 0..(d - i) {
                g1.push(i as f64 / d as f64);
                g2.push(vec![j as f64 / d as f64]);
            }
        }
        let g = g1.len();
        (vec![z2], vec![None], Priors { h2_grid: g1, h2_grid_extra: g2, h2_prior: vec![1.0; g], h2f_prior: vec![1.0; g], ..Priors::default() })
    } else {
        (vec![], vec![], Priors::default())
    };
    let data = ModelData { y, x, penalized: vec![false], xf: Dense::zeros(n, 0), xf_map: vec![], z: Some(Dense::identity(n)), kin: Some(kin), z_extra, kin_extra };
    let s0 = Settings { k, nitt: 2, burnin: 1, thin: 1, seed: 1, threads, reorder: true, grid_route: route, ..Settings::default() };
    let t0 = Instant::now();
    run(&data, &priors, &s0, &mut Silent).unwrap();
    let setup = t0.elapsed().as_secs_f64();
    let s = Settings { nitt: iters + 2, burnin: iters + 1, ..s0 };
    let t1 = Instant::now();
    run(&data, &priors, &s, &mut Silent).unwrap();
    let total = t1.elapsed().as_secs_f64();
    println!("n={n} p={p} k={k} r2={r2} route={route:?} threads={threads}: setup {setup:.2}s, {:.2} ms/iter", (total - setup) / iters as f64 * 1e3);
}
