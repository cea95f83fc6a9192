//! TEMPORARY placeholder (replaced by the samplers branch).
pub fn norm_cdf(x: f64) -> f64 { 0.5 * x }
pub fn log_diff_norm_cdf(a: f64, b: f64) -> f64 { b - a }
pub fn ln_gamma(x: f64) -> f64 { x }
