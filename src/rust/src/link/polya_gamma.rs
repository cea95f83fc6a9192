//! Polya-Gamma draws `X ~ PG(b, c)`, `b > 0`, for the logistic and negative-binomial observation models.
//!
//! `PG(b, c)` is the law of `sum_{k>=1} G_k / d_k`, `G_k ~ Gamma(b, 1)` independent, `d_k = a_k + c^2/2`,
//! `a_k = 2 pi^2 (k - 1/2)^2` (Polson, Scott & Windle 2013, JASA 108:1339). Its cumulants are
//! `kappa_n = b (n-1)! sum_k d_k^-n`; with `u = |c|/2` the first three have the closed forms
//! `kappa_1 = b tanh(u)/(4u)`, `kappa_2 = b (tanh u - u sech^2 u)/(16 u^3)` and
//! `kappa_3 = b (3 (tanh u - u sech^2 u) - 2 u^2 sech^2 u tanh u)/(64 u^5)`, which cancel for small `u` and are
//! replaced there by their Taylor series in `x = c^2/2`, `sum_k (a_k + x)^-n = sum_j C(n+j-1, j) (-x)^j S_{n+j}`
//! with `S_m = sum_k a_k^-m = (2 pi^2)^-m (2^{2m} - 1) zeta(2m) = (2^{2m} - 1) 2^{m-1} |B_{2m}| / (2m)!`.
//! `PG(1, c)` is drawn exactly as `J*(1, |c|/2) / 4` by Devroye's alternating-series method (Devroye 2009,
//! Stat. Prob. Letters 79:2251, as given in Polson, Scott & Windle 2013, section 4): the density of `J*(1, z)` is
//! `cosh(z) exp(-z^2 x/2) sum_n (-1)^n a_n(x)` with `a_n(x) = pi (n + 1/2) (2/(pi x))^{3/2} exp(-2 (n + 1/2)^2 / x)`
//! for `x <= t` and `pi (n + 1/2) exp(-(n + 1/2)^2 pi^2 x / 2)` for `x > t`, `t = 2/pi`; the terms decrease in `n`,
//! so the partial sums bracket the density, `a_0` (times the tilt) is the envelope (an inverse-Gaussian piece on
//! `(0, t]`, an exponential piece on `(t, inf)`), and a uniform under the envelope is accepted or rejected as soon
//! as a partial sum decides it. For general `b` the package uses a hybrid (see [`pg_draw`]): exact draws for
//! `b <= PG_EXACT_MAX`, and a shifted gamma matching the first three cumulants above it.

use rand::rngs::ChaCha8Rng;
use std::f64::consts::{FRAC_2_PI, LN_2, PI};

use super::special::log_norm_cdf;
use super::truncnorm::truncated_normal;
use crate::rng::{gamma_rate, normal, uniform};

/// Largest `b` drawn as a sum of exact `PG(1, c)` draws plus a series draw for the fractional part; above it the
/// cost is one gamma draw whatever `b` is.
pub const PG_EXACT_MAX: f64 = 13.0;

/// Terms of the gamma series kept exactly for the fractional part of `b`; the rest is one moment-matched gamma.
pub const PG_SERIES_TERMS: usize = 8;

/// Truncation point `t = 2/pi` between the left and right series of `J*(1, z)` (Devroye 2009).
const TRUNC: f64 = FRAC_2_PI;

/// `pi^2 / 8`, the rate of the right envelope at `z = 0`.
const PI2_OVER_8: f64 = PI * PI / 8.0;

/// Below `u = |c|/2 = 0.5` the cumulants come from their Taylor series: the closed form of `kappa_3` loses about
/// `eps/u^4` to cancellation (1e-14 at u = 0.5, 1e-13 at u = 0.3).
const TAYLOR_MAX_U: f64 = 0.5;

/// `S_m = sum_k (2 pi^2 (k - 1/2)^2)^-m = (2^{2m} - 1) 2^{m-1} |B_{2m}| / (2m)!`, m = 1..20
/// (1/4, 1/24, 1/120, 17/10080, 31/90720, 691/9979200, ...; exact rationals rounded to double).
const S_M: [f64; 20] = [
    0.25,
    0.041666666666666664,
    0.008333333333333333,
    0.0016865079365079366,
    0.00034171075837742505,
    6.924402757736092e-05,
    1.4031750142861254e-05,
    2.843426537209606e-06,
    5.761986727984238e-07,
    1.1676226281423461e-07,
    2.3660981340159792e-08,
    4.794717270912699e-09,
    9.716128582354104e-10,
    1.9688992967698458e-10,
    3.98982414442559e-11,
    8.085074096759532e-12,
    1.6383785546393607e-12,
    3.320049088205652e-13,
    6.727826067353218e-14,
    1.3633426009680052e-14,
];

/// Proposals of `J*(1, z)` before giving up; the envelope is accepted with probability above 0.9992, so this is
/// never reached and exists only so that no input can loop forever.
const MAX_PROPOSALS: u32 = 1000;

/// Terms of the alternating series examined per proposal; each ratio `a_n / a_0` is below
/// `(2n + 1) exp(-pi n (n + 1))`, which underflows after 16 terms, so a decision comes long before.
const MAX_SERIES_TERMS: u32 = 64;

/// Per-unit cumulants `(sum 1/d_k, sum 1/d_k^2, 2 sum 1/d_k^3)` at `u = |c|/2`, i.e. `kappa_n(1, c)`: the Taylor
/// series below `u = 0.5`, the closed forms above.
fn unit_cumulants(u: f64) -> (f64, f64, f64) {
    if u < TAYLOR_MAX_U {
        taylor_cumulants(u)
    } else {
        closed_cumulants(u)
    }
}

/// `sum_k (a_k + x)^-n = sum_{j>=0} C(n+j-1, j) (-x)^j S_{n+j}`, `x = 2u^2`; for `u < 0.5` the terms fall by about
/// `x / a_1 < 0.1` each, so the 20 tabulated `S_m` leave an error below 1e-16.
fn taylor_cumulants(u: f64) -> (f64, f64, f64) {
    let x = 2.0 * u * u;
    let series = |n: usize| {
        let mut sum = 0.0;
        let mut pow = 1.0; // (-x)^j
        let mut binom = 1.0; // C(n + j - 1, j)
        for j in 0..=(S_M.len() - n) {
            sum += binom * pow * S_M[n + j - 1];
            pow *= -x;
            binom = binom * (n + j) as f64 / (j + 1) as f64;
        }
        sum
    };
    (series(1), series(2), 2.0 * series(3))
}

/// The closed forms `tanh(u)/(4u)`, `g/(16u^3)`, `(3g - 2u^2 sech^2(u) tanh(u))/(64u^5)`, `g = tanh u - u sech^2 u`,
/// with `tanh u = (1 - e)/(1 + e)`, `sech^2 u = 4e/(1 + e)^2`, `e = exp(-2u)`, which neither overflow nor lose
/// precision for large `u`.
fn closed_cumulants(u: f64) -> (f64, f64, f64) {
    let e = (-2.0 * u).exp();
    let tanh = (1.0 - e) / (1.0 + e);
    let sech2 = 4.0 * e / ((1.0 + e) * (1.0 + e));
    let g = tanh - u * sech2;
    let u2 = u * u;
    let k1 = tanh / (4.0 * u);
    let k2 = g / (16.0 * u2 * u);
    let k3 = (3.0 * g - 2.0 * u2 * sech2 * tanh) / (64.0 * u2 * u2 * u);
    (k1, k2, k3)
}

/// The first three cumulants of `PG(b, c)`: `kappa_n = b (n-1)! sum_k (2 pi^2 (k - 1/2)^2 + c^2/2)^-n`, i.e.
/// `b tanh(u)/(4u)`, `b (tanh u - u sech^2 u)/(16 u^3)`, `b (3 (tanh u - u sech^2 u) - 2 u^2 sech^2 u tanh u)/(64 u^5)`
/// with `u = |c|/2` (limits `b/4`, `b/24`, `b/60` at `c = 0`; Taylor series below `u = 0.5`). Finite for
/// `|c|` up to about 1e60.
pub fn pg_cumulants(b: f64, c: f64) -> (f64, f64, f64) {
    let (k1, k2, k3) = unit_cumulants(0.5 * c.abs());
    (b * k1, b * k2, b * k3)
}

/// Mean of `PG(b, c)`: `b tanh(c/2) / (2c)`, `b/4` at `c = 0`.
pub fn pg_mean(b: f64, c: f64) -> f64 {
    pg_cumulants(b, c).0
}

/// `ln(e^p + e^q)` without overflow.
fn log_add_exp(p: f64, q: f64) -> f64 {
    let m = p.max(q);
    if m == f64::NEG_INFINITY {
        return m;
    }
    m + ((p - m).exp() + (q - m).exp()).ln()
}

/// Log masses `(ln p, ln q)` of the two envelope pieces of `J*(1, z)` over `(0, t]` and `(t, inf)`, without the
/// common factor `cosh z`:
/// `p = int_0^t 2 (2 pi x^3)^{-1/2} exp(-1/(2x) - z^2 x/2) dx = 2 (e^{-z} Phi((tz - 1)/sqrt t) + e^{z} Phi(-(tz + 1)/sqrt t))`
/// (the inverse-Gaussian IG(1/z, 1) distribution function at t), and
/// `q = int_t^inf (pi/2) exp(-lambda_z x) dx = (pi/2) exp(-lambda_z t)/lambda_z`, `lambda_z = pi^2/8 + z^2/2`.
fn envelope_log_masses(z: f64) -> (f64, f64) {
    let st = TRUNC.sqrt();
    let log_p = LN_2 + log_add_exp(-z + log_norm_cdf((TRUNC * z - 1.0) / st), z + log_norm_cdf(-(TRUNC * z + 1.0) / st));
    let lambda = PI2_OVER_8 + 0.5 * z * z;
    let log_q = (0.5 * PI).ln() - lambda * TRUNC - lambda.ln();
    (log_p, log_q)
}

#[cfg(test)]
/// Expected number of proposals per `J*(1, z)` draw: the envelope's total mass `cosh(z) (p + q)` (the target
/// density integrates to 1); at most 1.0008 for every z.
fn expected_proposals(z: f64) -> f64 {
    let (log_p, log_q) = envelope_log_masses(z);
    // ln cosh z = z + ln(1 + e^{-2z}) - ln 2, finite for any z.
    let log_cosh = z + (-2.0 * z).exp().ln_1p() - LN_2;
    (log_cosh + log_add_exp(log_p, log_q)).exp()
}

/// Draw from the left envelope piece, density proportional to `x^{-3/2} exp(-1/(2x) - z^2 x/2)` on `(0, t]`.
///
/// For `z < 1/t` (inverse-Gaussian mean `1/z > t`): `x = 1/Z^2` with `Z` a standard normal truncated to
/// `Z >= 1/sqrt t` (so `x` has density proportional to `x^{-3/2} exp(-1/(2x))` on `(0, t]`), accepted with
/// probability `exp(-z^2 x/2) >= exp(-1/(2t)) = 0.456`. For `z >= 1/t`: `x ~ IG(mu = 1/z, 1)` by Michael,
/// Schucany & Haas (1976), `y = N(0,1)^2`, `x1 = mu / (1 + w + sqrt(w (w + 2)))`, `w = mu y / 2` (the smaller root
/// `mu + mu^2 y/2 - (mu/2) sqrt(4 mu y + mu^2 y^2)` written without cancellation), returning `x1` with probability
/// `mu/(mu + x1)` and `mu^2/x1` otherwise; draws above `t` are rejected (acceptance `P(IG <= t) >= P(IG <= mu) > 1/2`).
fn left_piece(rng: &mut ChaCha8Rng, z: f64) -> f64 {
    if z * TRUNC < 1.0 {
        let root = 1.0 / TRUNC.sqrt();
        for _ in 0..MAX_PROPOSALS {
            let n = truncated_normal(rng, 0.0, 1.0, root, f64::INFINITY);
            let x = 1.0 / (n * n);
            if uniform(rng) < (-0.5 * z * z * x).exp() {
                return x;
            }
        }
    } else {
        let mu = 1.0 / z;
        for _ in 0..MAX_PROPOSALS {
            let nu = normal(rng);
            let w = 0.5 * mu * nu * nu;
            let x1 = mu / (1.0 + w + (w * (w + 2.0)).sqrt());
            let x = if uniform(rng) * (mu + x1) <= mu { x1 } else { mu * mu / x1 };
            if x <= TRUNC {
                return x;
            }
        }
    }
    // Unreachable in practice (acceptance >= 0.45): the truncation point, inside the support.
    TRUNC
}

/// `a_n(x) / a_0(x) = (2n + 1) exp(-n (n + 1) k)` with `k = 2/x` for `x <= t` and `k = pi^2 x / 2` for `x > t`.
fn coefficient_ratio(n: u32, x: f64) -> f64 {
    let k = if x <= TRUNC { 2.0 / x } else { 0.5 * PI * PI * x };
    let nf = n as f64;
    (2.0 * nf + 1.0) * (-nf * (nf + 1.0) * k).exp()
}

/// Exact `J*(1, z)` draw and the number of envelope proposals it took (Devroye 2009).
///
/// Propose from the envelope `cosh(z) exp(-z^2 x/2) a_0(x)`: the exponential piece `t + Exp(lambda_z)` with
/// probability `q / (p + q)`, else [`left_piece`]. With `V` uniform on `(0, 1)`, accept when `V <= S_n / a_0` for an
/// odd partial sum `S_n = sum_{i<=n} (-1)^i a_i(x)` and reject when `V > S_n / a_0` for an even one.
fn jstar_one_counted(rng: &mut ChaCha8Rng, z: f64) -> (f64, u32) {
    let (log_p, log_q) = envelope_log_masses(z);
    let prob_right = 1.0 / (1.0 + (log_p - log_q).exp());
    let lambda = PI2_OVER_8 + 0.5 * z * z;
    for proposal in 1..=MAX_PROPOSALS {
        let x = if uniform(rng) < prob_right {
            TRUNC - (-uniform(rng)).ln_1p() / lambda
        } else {
            left_piece(rng, z)
        };
        let v = uniform(rng);
        let mut s = 1.0;
        for n in 1..=MAX_SERIES_TERMS {
            let r = coefficient_ratio(n, x);
            if n % 2 == 1 {
                s -= r;
                if v <= s {
                    return (x, proposal);
                }
            } else {
                s += r;
                if v > s {
                    break;
                }
            }
        }
    }
    // Unreachable in practice (acceptance > 0.999): the mean of J*(1, z), tanh(z)/z.
    (4.0 * unit_cumulants(z).0, MAX_PROPOSALS)
}

/// [`pg_one`] with the number of envelope proposals it took (for efficiency tests).
pub(crate) fn pg_one_counted(rng: &mut ChaCha8Rng, c: f64) -> (f64, u32) {
    let (j, n) = jstar_one_counted(rng, 0.5 * c.abs());
    (0.25 * j, n)
}

/// Exact `PG(1, c)` draw: `J*(1, |c|/2) / 4` by Devroye's alternating-series method (see the module
/// documentation); about 1.0008 proposals per draw at worst. A non-finite `c` returns 0.0.
pub fn pg_one(rng: &mut ChaCha8Rng, c: f64) -> f64 {
    if !c.is_finite() {
        return 0.0;
    }
    pg_one_counted(rng, c).0
}

/// Sums of the series beyond `PG_SERIES_TERMS` terms: `(T1, T2) = (sum_{k>K} 1/d_k, sum_{k>K} 1/d_k^2)`,
/// as the per-unit cumulants `kappa_1(1, c)`, `kappa_2(1, c)` minus the first `K` terms.
fn series_remainder(c: f64) -> (f64, f64) {
    let (k1, k2, _) = unit_cumulants(0.5 * c.abs());
    let x = 0.5 * c * c;
    let (mut h1, mut h2) = (0.0, 0.0);
    for k in 1..=PG_SERIES_TERMS {
        let a = k as f64 - 0.5;
        let d = 2.0 * PI * PI * a * a + x;
        h1 += 1.0 / d;
        h2 += 1.0 / (d * d);
    }
    (k1 - h1, k2 - h2)
}

/// `PG(f, c)` for `0 < f <= 1`: `sum_{k<=K} G_k / d_k + R`, `G_k ~ Gamma(f, 1)`, with the remainder
/// `sum_{k>K} G_k / d_k` replaced by `R ~ Gamma(f T1^2 / T2, rate T1 / T2)`, which has its mean `f T1` and variance
/// `f T2` (`T_n = sum_{k>K} d_k^-n`, `K = PG_SERIES_TERMS`).
///
/// The third cumulant of `R` is `2 f T2^2 / T1` instead of `2 f T3`; relative to the third cumulant of `PG(f, c)`
/// the error is `-(T3 - T2^2/T1) / sum_k d_k^-3` (an underestimate, by Cauchy-Schwarz), independent of `f`.
/// Measured (test `series_remainder_error_in_the_third_cumulant`): 4.1e-8 at c = 0, 5.5e-8 at |c| = 1, 2.8e-7 at 3,
/// 4.2e-5 at 10, 1.1e-3 at 20, 5.7e-3 at 30, 3.1e-2 at 50, 0.12 at 100, rising towards 1/3 as |c| grows (the terms
/// beyond K then carry most of the law, and `T2^2 / (T1 T3)` tends to `B(1/2, 3/2)^2 / (B(1/2, 1/2) B(1/2, 5/2)) = 2/3`).
fn pg_fraction(rng: &mut ChaCha8Rng, f: f64, c: f64) -> f64 {
    let x = 0.5 * c * c;
    let mut sum = 0.0;
    for k in 1..=PG_SERIES_TERMS {
        let a = k as f64 - 0.5;
        sum += gamma_rate(rng, f, 2.0 * PI * PI * a * a + x);
    }
    let (t1, t2) = series_remainder(c);
    if t1 > 0.0 && t2 > 0.0 && (t1 * t1 / t2).is_finite() {
        sum += gamma_rate(rng, f * t1 * t1 / t2, t1 / t2);
    } else {
        // Only reachable if the remainder sums lose all precision: keep its mean.
        sum += f * t1.max(0.0);
    }
    sum
}

/// Parameters `(s, alpha, beta)` of the shifted gamma `s + Gamma(alpha, rate beta)` whose first three cumulants
/// are those of `PG(b, c)`: `beta = 2 kappa2/kappa3`, `alpha = 4 kappa2^3/kappa3^2 = kappa2 beta^2`,
/// `s = kappa1 - 2 kappa2^2/kappa3 = kappa1 - kappa2 beta` (`s > 0` for every c, checked in the tests).
fn shifted_gamma(b: f64, c: f64) -> (f64, f64, f64) {
    let (k1, k2, k3) = unit_cumulants(0.5 * c.abs());
    let beta = 2.0 * k2 / k3;
    (b * (k1 - k2 * beta), b * k2 * beta * beta, beta)
}

/// A draw from `PG(b, c)` (the hybrid the package uses); 0.0 for `b <= 0` or non-finite `b`, `c` (callers
/// never pass these).
///
/// - `b <= PG_EXACT_MAX` (13): the sum of `floor(b)` exact [`pg_one`] draws and, when `f = b - floor(b) > 0`, a
///   `PG(f, c)` draw from the first `PG_SERIES_TERMS` (8) terms of the gamma series plus one gamma variable with
///   the exact mean and variance of the remaining terms. Exact in law except for the third and higher cumulants
///   of the fractional part: its third cumulant is too small by a relative 4.1e-8 at c = 0, below 3e-7 for
///   |c| <= 3, 4.2e-5 at |c| = 10, 5.7e-3 at 30 and up to 1/3 as |c| grows (see [`pg_fraction`]); in the third
///   cumulant of `PG(b, c)` this is diluted by `f / b`.
/// - `b > PG_EXACT_MAX`: `s + Gamma(alpha, rate beta)` matching `kappa_1..kappa_3` of `PG(b, c)` exactly (one gamma
///   draw whatever `b`). Its fourth cumulant is `3 kappa3^2 / (2 kappa2)` instead of `kappa4`, too small by 1.2% at
///   c = 0 and by at most 10% (the limit `1 - 27/30` as |c| grows); in the standardised fourth cumulant (excess
///   kurtosis, itself `O(1/b)`) the error is at most `0.32 / b`, below 0.024 at b = 13.5 (test
///   `shifted_gamma_is_valid_and_errs_only_from_the_fourth_cumulant`).
///
/// Results below the smallest normal double (possible for tiny `b`, where `P(X < 2.2e-308)` is not negligible:
/// about 1e-3 at `b = 1e-3`, `c = 0`, as gamma draws of shape 0.001 underflow) are returned as that number,
/// so draws are always positive. Finite for `b` up to 1e7 and `|c|` up to 1e6 (and far beyond).
pub fn pg_draw(rng: &mut ChaCha8Rng, b: f64, c: f64) -> f64 {
    if !(b > 0.0 && b.is_finite() && c.is_finite()) {
        return 0.0;
    }
    let x = if b <= PG_EXACT_MAX {
        let whole = b.floor();
        let f = b - whole;
        let mut sum = 0.0;
        for _ in 0..whole as u32 {
            sum += pg_one_counted(rng, c).0;
        }
        if f > 0.0 {
            sum += pg_fraction(rng, f, c);
        }
        sum
    } else {
        let (s, alpha, beta) = shifted_gamma(b, c);
        if s.is_finite() && alpha > 0.0 && alpha.is_finite() && beta > 0.0 && beta.is_finite() {
            s + gamma_rate(rng, alpha, beta)
        } else {
            // Only for |c| beyond about 1e60, where the cumulants underflow: the mean.
            pg_mean(b, c)
        }
    };
    x.max(f64::MIN_POSITIVE)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::link::special::gauss_legendre_16;
    use crate::rng::{task_rng, Block};

    /// Neumaier-compensated sum.
    fn compensated_sum(terms: impl Iterator<Item = f64>) -> f64 {
        let (mut s, mut comp) = (0.0f64, 0.0f64);
        for t in terms {
            let u = s + t;
            comp += if s.abs() >= t.abs() { (s - u) + t } else { (t - u) + s };
            s = u;
        }
        s + comp
    }

    /// `sum_{k>=1} (2 pi^2 (k - 1/2)^2 + x)^-n` directly: terms k <= N = 200,000 summed with compensation, and
    /// the rest as the midpoint-rule integral `int_N^inf g(y) dy + g'(N)/24`, `g(y) = (2 pi^2 y^2 + x)^-n`,
    /// with the integral expanded in `x / (2 pi^2 N^2)` (below 0.007 for every c tested).
    fn series_sum(c: f64, n: i32) -> f64 {
        let big_n = 200_000usize;
        let x = 0.5 * c * c;
        let two_pi2 = 2.0 * PI * PI;
        let head = compensated_sum((1..=big_n).rev().map(|k| {
            let a = k as f64 - 0.5;
            (two_pi2 * a * a + x).powi(-n)
        }));
        let nf = big_n as f64;
        let mut integral = 0.0;
        let mut binom = 1.0; // C(n + j - 1, j)
        for j in 0..30 {
            let p = (n + j) as f64;
            integral += binom * (-x).powi(j) * two_pi2.powf(-p) * nf.powf(1.0 - 2.0 * p) / (2.0 * p - 1.0);
            binom = binom * (n + j) as f64 / (j + 1) as f64;
        }
        let g_prime = -(n as f64) * 2.0 * two_pi2 * nf * (two_pi2 * nf * nf + x).powi(-n - 1);
        head + integral + g_prime / 24.0
    }

    fn rel(a: f64, b: f64) -> f64 {
        ((a - b) / b).abs()
    }

    #[test]
    fn cumulants_match_direct_series_sums() {
        // Closed forms lose at most ~1e-14 and the Taylor branch ~1e-15, the reference sums ~1e-15.
        for &c in &[0.0, 1e-8, 0.05, 0.2, 0.59, 0.61, 0.99, 1.0, 1.01, 30.0, 700.0, 1e5] {
            let (k1, k2, k3) = pg_cumulants(2.5, c);
            let (s1, s2, s3) = (series_sum(c, 1), series_sum(c, 2), series_sum(c, 3));
            assert!(rel(k1, 2.5 * s1) < 1e-12, "c = {c}: kappa1 {k1} vs {}", 2.5 * s1);
            assert!(rel(k2, 2.5 * s2) < 1e-12, "c = {c}: kappa2 {k2} vs {}", 2.5 * s2);
            assert!(rel(k3, 5.0 * s3) < 1e-12, "c = {c}: kappa3 {k3} vs {}", 5.0 * s3);
            assert_eq!(pg_mean(2.5, c), k1);
            assert_eq!(pg_cumulants(2.5, -c), (k1, k2, k3));
        }
        let (k1, k2, k3) = pg_cumulants(1.0, 0.0);
        assert!(rel(k1, 0.25) < 1e-16 && rel(k2, 1.0 / 24.0) < 1e-16 && rel(k3, 1.0 / 60.0) < 1e-15);
        // Both branches agree at the switch u = 0.5 and just below it, where both are accurate.
        for &u in &[0.45, 0.499, 0.5] {
            let (t, c) = (taylor_cumulants(u), closed_cumulants(u));
            assert!(rel(t.0, c.0) < 1e-15 && rel(t.1, c.1) < 1e-14 && rel(t.2, c.2) < 1e-13, "u = {u}: {t:?} vs {c:?}");
        }
        for &c in &[1e6, 1e30] {
            let (k1, k2, k3) = pg_cumulants(1e7, c);
            assert!(k1 > 0.0 && k2 > 0.0 && k3 > 0.0 && k1.is_finite() && k2.is_finite() && k3.is_finite());
        }
    }

    /// The `PG(1, 0)` density, `sum_n (-1)^n (2n+1)/sqrt(2 pi x^3) exp(-(2n+1)^2/(8x))` (from the left series of
    /// J*) for small x or `sum_n (-1)^n 2 pi (2n+1) exp(-(2n+1)^2 pi^2 x/2)` (from the right series).
    fn pg1_density_zero(x: f64, left: bool) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        let mut sum = 0.0;
        for n in 0..400 {
            let m = (2 * n + 1) as f64;
            let term = if left {
                m / (2.0 * PI * x * x * x).sqrt() * (-m * m / (8.0 * x)).exp()
            } else {
                2.0 * PI * m * (-m * m * PI * PI * x / 2.0).exp()
            };
            sum += if n % 2 == 0 { term } else { -term };
            // Terms fall faster than geometrically once they start to fall; stop when negligible.
            if n > 0 && term <= 1e-18 * sum.abs() {
                break;
            }
        }
        sum
    }

    /// `PG(1, c)` density: `cosh(c/2) exp(-c^2 x/2)` times the `PG(1, 0)` density (left series below x = 1/(2 pi),
    /// the J* truncation point divided by 4, where it converges fastest).
    fn pg1_density(x: f64, c: f64) -> f64 {
        let z = 0.5 * c.abs();
        let log_tilt = z + (-2.0 * z).exp().ln_1p() - LN_2 - 0.5 * c * c * x;
        log_tilt.exp() * pg1_density_zero(x, x <= 0.5 / PI)
    }

    /// `int_lo^hi` of the `PG(1, c)` density by 16-point Gauss-Legendre on panels no wider than `h`.
    fn integrate_density(lo: f64, hi: f64, c: f64, h: f64) -> f64 {
        let panels = ((hi - lo) / h).ceil().max(1.0) as usize;
        let w = (hi - lo) / panels as f64;
        let rule = gauss_legendre_16();
        (0..panels)
            .map(|k| {
                let mid = lo + (k as f64 + 0.5) * w;
                rule.iter().map(|&(t, wt)| wt * pg1_density(mid + 0.5 * w * t, c)).sum::<f64>() * 0.5 * w
            })
            .sum()
    }

    #[test]
    fn pg1_density_formula_is_a_density() {
        // The two series agree where both converge, and the density integrates to 1 and has mean kappa1.
        for &x in &[0.02, 0.05, 0.1, 0.16, 0.3, 0.6] {
            let (l, r) = (pg1_density_zero(x, true), pg1_density_zero(x, false));
            assert!(rel(l, r) < 1e-12, "x = {x}: {l} vs {r}");
        }
        for &c in &[0.0, 1.0, 10.0, 50.0] {
            let (k1, k2, _) = pg_cumulants(1.0, c);
            let top = k1 + 40.0 * k2.sqrt();
            let h = k2.sqrt() / 20.0;
            let total = integrate_density(0.0, top, c, h);
            assert!((total - 1.0).abs() < 1e-10, "c = {c}: integral {total}");
        }
    }

    /// Sample mean, variance and central moments 3, 4, 6.
    fn central_moments(xs: &[f64]) -> (f64, f64, f64, f64, f64) {
        let n = xs.len() as f64;
        let m = compensated_sum(xs.iter().copied()) / n;
        let cm = |p: i32| compensated_sum(xs.iter().map(|x| (x - m).powi(p))) / n;
        (m, cm(2), cm(3), cm(4), cm(6))
    }

    /// Checks mean, variance and (optionally) third central moment of `xs` against cumulants, each within five
    /// standard errors: `sqrt(var/n)`, `sqrt((mu4 - var^2)/n)` and `sqrt((mu6 - mu3^2 - 6 mu4 mu2 + 9 mu2^3)/n)`.
    fn check_moments(xs: &[f64], (k1, k2, k3): (f64, f64, f64), third: bool, what: &str) {
        let n = xs.len() as f64;
        let (m, v, m3, m4, m6) = central_moments(xs);
        let se_m = (k2 / n).sqrt();
        assert!((m - k1).abs() < 5.0 * se_m, "{what}: mean {m} vs {k1} (se {se_m})");
        let se_v = ((m4 - v * v) / n).sqrt();
        assert!((v - k2).abs() < 5.0 * se_v, "{what}: variance {v} vs {k2} (se {se_v})");
        if third {
            let se_3 = ((m6 - m3 * m3 - 6.0 * m4 * v + 9.0 * v * v * v) / n).sqrt();
            assert!((m3 - k3).abs() < 5.0 * se_3, "{what}: third moment {m3} vs {k3} (se {se_3})");
        }
    }

    #[test]
    fn pg_one_matches_moments_and_exact_distribution_function() {
        let n = 200_000;
        // Asymptotic Kolmogorov critical value at alpha = 0.001.
        let crit = 1.95 / (n as f64).sqrt();
        for (i, &c) in [0.0, 0.1, 1.0, 2.5, 10.0, 50.0].iter().enumerate() {
            let mut rng = task_rng(20 + i as u64, Block::Hyper, 0, 0);
            let mut xs: Vec<f64> = (0..n).map(|_| pg_one(&mut rng, c)).collect();
            assert!(xs.iter().all(|&x| x > 0.0 && x.is_finite()));
            let cum = pg_cumulants(1.0, c);
            check_moments(&xs, cum, true, &format!("PG(1, {c})"));
            // Exact distribution function by integrating the density between consecutive sorted draws.
            xs.sort_by(|p, q| p.total_cmp(q));
            let h = cum.1.sqrt() / 20.0;
            let (mut f, mut prev, mut d) = (0.0f64, 0.0f64, 0.0f64);
            for (j, &x) in xs.iter().enumerate() {
                f += integrate_density(prev, x, c, h);
                prev = x;
                d = d.max((f - j as f64 / n as f64).abs()).max(((j + 1) as f64 / n as f64 - f).abs());
            }
            assert!(d < crit, "PG(1, {c}): KS distance {d} >= {crit}");
        }
    }

    #[test]
    fn pg_one_needs_about_one_proposal() {
        let n = 200_000u32;
        for (i, &c) in [0.0, 0.1, 1.0, 2.5, 4.0, 10.0, 50.0, 1000.0].iter().enumerate() {
            let expected = expected_proposals(0.5 * c);
            assert!((1.0..1.0008).contains(&expected), "c = {c}: envelope mass {expected}");
            let mut rng = task_rng(40 + i as u64, Block::Hyper, 0, 0);
            let total: u64 = (0..n).map(|_| pg_one_counted(&mut rng, c).1 as u64).sum();
            let mean = total as f64 / n as f64;
            // Proposals per draw are geometric with success probability p = 1/expected.
            let p = 1.0 / expected;
            let se = ((1.0 - p) / (p * p) / n as f64).sqrt().max(1e-12);
            assert!(mean < 1.01 + 5.0 * se, "c = {c}: {mean} proposals per draw");
            assert!((mean - expected).abs() < 5.0 * se + 1e-12, "c = {c}: {mean} vs envelope mass {expected}");
        }
    }

    #[test]
    fn pg_draw_matches_three_cumulants() {
        let n = 100_000;
        let bs = [0.3, 0.999, 1.0, 2.5, 7.2, 13.0, 13.5, 40.0, 1000.0, 1e6];
        for (i, &b) in bs.iter().enumerate() {
            for (j, &c) in [0.0, 0.5, 3.0, 30.0, -3.0].iter().enumerate() {
                let mut rng = task_rng(60 + (5 * i + j) as u64, Block::Hyper, 0, 0);
                let xs: Vec<f64> = (0..n).map(|_| pg_draw(&mut rng, b, c)).collect();
                assert!(xs.iter().all(|&x| x > 0.0 && x.is_finite()), "PG({b}, {c}) not positive");
                // Both routes match the third cumulant (exactly above PG_EXACT_MAX; below it to 6e-3 at |c| = 30, out of
                // reach of 100,000 draws).
                check_moments(&xs, pg_cumulants(b, c), true, &format!("PG({b}, {c})"));
            }
        }
    }

    #[test]
    fn pg_draw_extremes_stay_finite_and_positive() {
        let mut rng = task_rng(7, Block::Hyper, 0, 0);
        for &(b, c) in &[(1e6, 1e5), (1e-3, 0.0), (1e7, 1e6), (1e7, 0.0), (13.0, 1e6), (0.5, 1e6), (2.0, -1e6), (13.01, 1e-300)] {
            for _ in 0..20_000 {
                let x = pg_draw(&mut rng, b, c);
                assert!(x > 0.0 && x.is_finite(), "PG({b}, {c}) gave {x}");
            }
        }
        for &(b, c) in &[(0.0, 1.0), (-1.0, 1.0), (f64::NAN, 1.0), (f64::INFINITY, 1.0), (1.0, f64::NAN), (1.0, f64::INFINITY)] {
            assert_eq!(pg_draw(&mut rng, b, c), 0.0);
        }
        assert_eq!(pg_one(&mut rng, f64::NAN), 0.0);
    }

    #[test]
    fn series_remainder_error_in_the_third_cumulant() {
        // Relative error of the fractional draw's third cumulant, (T3 - T2^2/T1) / sum_k d_k^-3, with T1, T2 as
        // used by the sampler and T3 from the direct series, against the profile stated in `pg_fraction`'s
        // documentation (independent mpmath values, 2% margin) and its limit 1/3.
        let stated = [(0.0, 4.13e-8), (1.0, 5.51e-8), (3.0, 2.85e-7), (10.0, 4.23e-5), (20.0, 1.062e-3), (30.0, 5.68e-3), (50.0, 3.09e-2), (100.0, 0.1217)];
        for &c in &[0.0, 0.3, 1.0, 3.0, 10.0, 20.0, 30.0, 50.0, 100.0, 300.0, 1e3, 1e4] {
            let (t1, t2) = series_remainder(c);
            let x = 0.5 * c * c;
            let head = |n: i32| (1..=PG_SERIES_TERMS).map(|k| (2.0 * PI * PI * (k as f64 - 0.5).powi(2) + x).powi(-n)).sum::<f64>();
            let total3 = series_sum(c, 3);
            let t3 = total3 - head(3);
            // T1 and T2 agree with the direct series.
            let (d1, d2) = (series_sum(c, 1) - head(1), series_sum(c, 2) - head(2));
            assert!(rel(t1, d1) < 1e-11 && rel(t2, d2) < 1e-9, "c = {c}: T1 {t1} vs {d1}, T2 {t2} vs {d2}");
            let err = (t3 - t2 * t2 / t1) / total3;
            assert!((0.0..1.0 / 3.0).contains(&err), "c = {c}: {err}");
            if let Some(&(_, bound)) = stated.iter().find(|&&(sc, _)| sc == c) {
                assert!((err - bound).abs() < 0.02 * bound, "c = {c}: {err} vs stated {bound}");
            }
        }
    }

    #[test]
    fn shifted_gamma_is_valid_and_errs_only_from_the_fourth_cumulant() {
        let (mut worst_rel4, mut worst_kurt): (f64, f64) = (0.0, 0.0);
        let mut c = 0.0;
        while c < 2e6 {
            let (s, alpha, beta) = shifted_gamma(1.0, c);
            assert!(s > 0.0 && alpha > 0.0 && beta > 0.0 && s.is_finite() && alpha.is_finite() && beta.is_finite(), "c = {c}");
            // First three cumulants of s + Gamma(alpha, beta): s + alpha/beta, alpha/beta^2, 2 alpha/beta^3.
            let (k1, k2, k3) = pg_cumulants(1.0, c);
            assert!(rel(s + alpha / beta, k1) < 1e-13 && rel(alpha / (beta * beta), k2) < 1e-13 && rel(2.0 * alpha / beta.powi(3), k3) < 1e-13);
            if c < 1e4 {
                let k4 = 6.0 * series_sum(c, 4);
                let g4 = 6.0 * alpha / beta.powi(4);
                worst_rel4 = worst_rel4.max((g4 - k4).abs() / k4);
                // Error in the standardised fourth cumulant at b: |g4 - k4| b / (k2 b)^2 = (|g4 - k4| / k2^2) / b.
                worst_kurt = worst_kurt.max((g4 - k4).abs() / (k2 * k2));
            }
            c = if c == 0.0 { 1e-3 } else { c * 1.7 };
        }
        for &b in &[13.5, 1e7] {
            let (s, alpha, _) = shifted_gamma(b, 1e6);
            assert!(s > 0.0 && alpha.is_finite());
        }
        // Stated in `pg_draw`'s documentation: at most 10% (the large-c limit 1 - 27/30) and 0.32 / b.
        assert!(worst_rel4 < 0.1 + 1e-12 && worst_rel4 > 0.099 && worst_kurt < 0.32, "{worst_rel4} {worst_kurt}");
        let (s0, a0, b0) = shifted_gamma(1.0, 0.0);
        let rel4_at_zero = (6.0 * a0 / b0.powi(4) - 6.0 * series_sum(0.0, 4)).abs() / (6.0 * series_sum(0.0, 4));
        assert!((rel4_at_zero - 0.0118).abs() < 0.0005 && s0 > 0.0, "{rel4_at_zero}");
    }
}
