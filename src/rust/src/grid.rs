//! The discrete grid of variance proportions.
//!
//! A grid point g gives every random-effect term m a share `a_gm >= 0` of a trait's (or factor's) variance,
//! with `sum_m a_gm < 1`; the residual gets `1 - sum_m a_gm`. With M terms and d divisions the simplex
//! grid has `choose(d - 1 + M, M)` points (all `i / d` with integer `i >= 0` summing to at most `d - 1`).
//! Terms are in the user's order; which term the sampler rotates is its own business.

use crate::error::{Result, SlamError};
use crate::linalg::Dense;

#[derive(Clone, Debug, PartialEq)]
pub struct Grid {
    /// G x M shares (column m: term m).
    shares: Dense,
}

impl Grid {
    /// A grid from its G x M table of shares.
    pub fn new(shares: Dense) -> Self {
        Grid { shares }
    }

    /// One term: the shares `values` (e.g. 0, 1/d, ..., (d-1)/d).
    pub fn one_term(values: Vec<f64>) -> Self {
        let g = values.len();
        Grid { shares: Dense { nrow: g, ncol: 1, data: values } }
    }

    /// No random effect: the single point where the residual has everything.
    pub fn none() -> Self {
        Grid { shares: Dense::zeros(1, 0) }
    }

    /// The simplex grid of `m` terms with `d` divisions, term 1 varying fastest.
    pub fn simplex(m: usize, d: usize) -> Self {
        let mut rows: Vec<Vec<usize>> = Vec::new();
        let mut cur = vec![0usize; m];
        fn fill(t: usize, left: usize, cur: &mut Vec<usize>, rows: &mut Vec<Vec<usize>>) {
            if t == cur.len() {
                rows.push(cur.clone());
                return;
            }
            for i in 0..=left {
                cur[t] = i;
                fill(t + 1, left - i, cur, rows);
            }
        }
        if d > 0 {
            fill(0, d - 1, &mut cur, &mut rows);
        }
        // Term 1 fastest: order by the later terms first.
        rows.sort_by(|a, b| a.iter().rev().cmp(b.iter().rev()));
        let g = rows.len();
        let mut shares = Dense::zeros(g, m);
        for (r, row) in rows.iter().enumerate() {
            for (t, &i) in row.iter().enumerate() {
                shares.set(r, t, i as f64 / d as f64);
            }
        }
        Grid { shares }
    }

    /// Number of grid points G.
    pub fn len(&self) -> usize {
        self.shares.nrow
    }

    pub fn is_empty(&self) -> bool {
        self.shares.nrow == 0
    }

    /// Number of random-effect terms M.
    pub fn n_terms(&self) -> usize {
        self.shares.ncol
    }

    /// Share of term m at grid point g.
    #[inline]
    pub fn share(&self, g: usize, m: usize) -> f64 {
        self.shares.get(g, m)
    }

    /// Share of the residual at grid point g.
    pub fn resid(&self, g: usize) -> f64 {
        1.0 - (0..self.n_terms()).map(|m| self.share(g, m)).sum::<f64>()
    }

    pub fn validate(&self) -> Result<()> {
        if self.shares.data.iter().any(|&x| !(0.0..1.0).contains(&x)) {
            return Err(SlamError::new("h2 grid values must lie in [0, 1)"));
        }
        if (0..self.len()).any(|g| !(self.resid(g) > 1e-12)) {
            return Err(SlamError::new("every grid point must leave a positive residual share"));
        }
        Ok(())
    }

    /// Row order that makes the grid canonical for a given term order: the first term of `term_order`
    /// varies fastest, the last slowest. The sampler's draws then do not depend on the order in which the
    /// user wrote the terms.
    pub fn canonical_order(&self, term_order: &[usize]) -> Vec<usize> {
        let mut rows: Vec<usize> = (0..self.len()).collect();
        rows.sort_by(|&a, &b| {
            for &m in term_order.iter().rev() {
                match self.share(a, m).partial_cmp(&self.share(b, m)) {
                    Some(std::cmp::Ordering::Equal) | None => continue,
                    Some(o) => return o,
                }
            }
            std::cmp::Ordering::Equal
        });
        rows
    }

    /// The grid with its rows in the order `rows`.
    pub fn select_rows(&self, rows: &[usize]) -> Grid {
        let m = self.n_terms();
        let mut shares = Dense::zeros(rows.len(), m);
        for (r, &g) in rows.iter().enumerate() {
            for t in 0..m {
                shares.set(r, t, self.share(g, t));
            }
        }
        Grid { shares }
    }

    /// Neighbours of each grid point: the points at the smallest L1 distance (over the term shares and the
    /// residual share), for Metropolis moves on the simplex grid.
    pub fn neighbours(&self) -> Vec<Vec<usize>> {
        let g = self.len();
        let m = self.n_terms();
        let point = |i: usize| -> Vec<f64> {
            let mut v: Vec<f64> = (0..m).map(|t| self.share(i, t)).collect();
            v.push(self.resid(i));
            v
        };
        let pts: Vec<Vec<f64>> = (0..g).map(point).collect();
        let dist = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| (x - y).abs()).sum::<f64>();
        let mut dmin = f64::INFINITY;
        for i in 0..g {
            for j in 0..i {
                let d = dist(&pts[i], &pts[j]);
                if d > 1e-12 && d < dmin {
                    dmin = d;
                }
            }
        }
        (0..g)
            .map(|i| (0..g).filter(|&j| j != i && dist(&pts[i], &pts[j]) <= dmin * (1.0 + 1e-6)).collect())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simplex_grid_has_the_right_points() {
        let g = Grid::simplex(3, 4);
        assert_eq!(g.len(), 20); // choose(3 + 3, 3)
        assert!((0..g.len()).all(|i| g.resid(i) > 0.0));
        // term 1 fastest
        assert_eq!((g.share(0, 0), g.share(1, 0), g.share(1, 1)), (0.0, 0.25, 0.0));
        let one = Grid::simplex(1, 5);
        assert_eq!(one, Grid::one_term(vec![0.0, 0.2, 0.4, 0.6, 0.8]));
        let nb = Grid::simplex(2, 3).neighbours();
        assert!(nb.iter().all(|v| !v.is_empty()));
    }
}
