//! TEMPORARY placeholder (replaced by the samplers branch).
pub fn pg_draw(_rng: &mut rand::rngs::ChaCha8Rng, b: f64, _c: f64) -> f64 { b / 4.0 }
