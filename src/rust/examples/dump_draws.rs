//! Writes every saved draw of a few fixed runs as raw f64, to check that a refactor leaves the draws
//! bit-identical: `cargo run --release --example dump_draws -- DIR` at two commits, then `cmp` the files.
use std::io::Write;
use slamglmm::simulate::{half_sib_kinship, simulate, Truth};
use slamglmm::{run, Dense, Grid, ModelData, Priors, Settings, Silent, Term};
use slamglmm::model::GridRoute;

fn put(dir: &str, name: &str, v: &[f64]) {
    let mut f = std::fs::File::create(format!("{dir}/{name}.bin")).unwrap();
    for x in v { f.write_all(&x.to_le_bytes()).unwrap(); }
}

fn group(n: usize, l: usize, f: impl Fn(usize) -> usize) -> Dense {
    let mut z = Dense::zeros(n, l);
    for i in 0..n { z.set(i, f(i), 1.0); }
    z
}

fn main() {
    let out = std::env::args().nth(1).unwrap();
    let kin = half_sib_kinship(12, 5);
    let n = 60; let p = 7;
    let truth = Truth {
        lambda: Dense::from_vec(p, 2, (0..2 * p).map(|i| ((i as f64) * 0.53).sin()).collect()).unwrap(),
        psi: vec![0.5; p], h2: vec![0.3; p], h2f: vec![0.6, 0.2],
        b: Dense::from_vec(2, p, (0..2 * p).map(|i| (i as f64 * 0.2).cos()).collect()).unwrap(),
    };
    let x = Dense::from_vec(n, 2, (0..n).map(|_| 1.0).chain((0..n).map(|i| (i % 2) as f64)).collect()).unwrap();
    let sim = simulate(&truth, &x, &kin, 3);
    let xf = Dense::from_vec(n, 1, (0..n).map(|i| (i % 2) as f64).collect()).unwrap();
    let base = ModelData::gaussian(sim.y.clone(), x.clone(), vec![false, true], xf, vec![Some(1)],
        vec![Term { z: Dense::identity(n), kin: Some(kin.clone()) }]);
    let mut miss = base.clone();
    for i in 0..15 { miss.y.set((i * 7) % n, i % p, f64::NAN); }
    let mut three = base.clone();
    three.terms.push(Term { z: group(n, 6, |i| i % 6), kin: None });
    three.terms.push(Term { z: group(n, 4, |i| (i / 3) % 4), kin: None });
    let mut none = base.clone();
    none.terms.clear();
    let grid3 = |d: usize| {
        let (mut a, mut b) = (Vec::new(), Vec::new());
        for l in 0..d { for j in 0..(d - l) { for i in 0..(d - l - j) {
            a.push(i as f64 / d as f64); b.push(vec![j as f64 / d as f64, l as f64 / d as f64]); } } }
        let g = a.len();
        let mut sh = Dense::zeros(g, 3);
        for r in 0..g { sh.set(r, 0, a[r]); sh.set(r, 1, b[r][0]); sh.set(r, 2, b[r][1]); }
        Priors::with_grid(Grid::new(sh))
    };
    let none_pr = Priors::with_grid(Grid::none());
    let s = |k, adapt, route| Settings { k, nitt: 300, burnin: 100, thin: 2, seed: 77, threads: 2, reorder: true,
        grid_route: route, adapt, k_max: 6, ..Settings::default() };
    let cases: Vec<(&str, &ModelData, Priors, Settings)> = vec![
        ("one", &base, Priors::default(), s(3, false, GridRoute::Auto)),
        ("one_adapt", &base, Priors::default(), s(2, true, GridRoute::Auto)),
        ("missing", &miss, Priors::default(), s(3, true, GridRoute::Auto)),
        ("three_full", &three, grid3(4), s(2, false, GridRoute::Full)),
        ("three_mh", &three, grid3(8), s(2, true, GridRoute::Metropolis)),
        ("none", &none, none_pr, s(2, false, GridRoute::Auto)),
        ("k0", &three, grid3(4), s(0, false, GridRoute::Auto)),
    ];
    for (name, d, pr, st) in cases {
        let post = run(d, &pr, &st, &mut Silent).unwrap();
        let dir = format!("{out}/{name}");
        std::fs::create_dir_all(&dir).unwrap();
        put(&dir, "lambda", &post.lambda); put(&dir, "B", &post.bmat); put(&dir, "BF", &post.bfmat);
        put(&dir, "psi", &post.psi); put(&dir, "h2_terms", &post.h2); put(&dir, "h2F_terms", &post.h2f);
        put(&dir, "h2_total_terms", &post.h2_total); put(&dir, "sigma2_b", &post.sigma2_b); put(&dir, "delta", &post.delta);
        let m = post.means();
        put(&dir, "F_mean", &m.f_mean.data); put(&dir, "H_mean", &m.h_mean.data);
        let mut u = Vec::new();
        for e in &m.u_mean { u.extend_from_slice(&e.data); }
        put(&dir, "U_mean", &u);
        println!("{name}: {} draws, k = {}", post.n_draws, post.k);
    }
}
