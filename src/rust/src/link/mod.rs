//! Observation models (the link layer). (Other modules will be added later.)
pub mod special;
pub mod truncnorm;
pub mod polya_gamma;
