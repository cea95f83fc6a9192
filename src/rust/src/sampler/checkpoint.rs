//! Checkpoint files: the saved chain with its draws so far, replaced atomically while the chain runs, so
//! that a run killed at any moment leaves the last complete checkpoint behind.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::error::{Result, SlamError};

/// Where and how often to save.
#[derive(Clone, Debug)]
pub struct Plan {
    pub path: PathBuf,
    /// Save when this much time has passed since the last save (None: not by time).
    pub every_seconds: Option<f64>,
    /// Save every this many iterations (None: not by count).
    pub every_iterations: Option<usize>,
}

/// When the last checkpoint was written.
pub struct Clock {
    since: Instant,
    at_iteration: usize,
}

impl Clock {
    pub fn new(it: usize) -> Self {
        Clock { since: Instant::now(), at_iteration: it }
    }

    /// True when the plan asks for a checkpoint after iteration `it`.
    pub fn due(&self, plan: &Plan, it: usize) -> bool {
        let by_count = plan.every_iterations.is_some_and(|n| n > 0 && it >= self.at_iteration + n);
        let by_time = plan.every_seconds.is_some_and(|s| self.since.elapsed() >= Duration::from_secs_f64(s.max(0.0)));
        by_count || by_time
    }

    pub fn reset(&mut self, it: usize) {
        self.since = Instant::now();
        self.at_iteration = it;
    }
}

/// Writes the checkpoint (see [`write_atomic`]).
pub fn write(plan: &Plan, bytes: &[u8]) -> Result<()> {
    write_atomic(&plan.path, bytes)
}

/// Writes `bytes` to a temporary file next to `path`, flushes it to disk and renames it over `path` (an
/// atomic replace on POSIX file systems): a reader, or a run killed meanwhile, sees the old file or the
/// new one, never part of one.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let fail = |what: &str, p: &Path, e: std::io::Error| SlamError::new(format!("could not {what} {}: {e}", p.display()));
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    let tmp = PathBuf::from(tmp);
    let mut f = fs::File::create(&tmp).map_err(|e| fail("create", &tmp, e))?;
    f.write_all(bytes).map_err(|e| fail("write", &tmp, e))?;
    f.sync_all().map_err(|e| fail("flush", &tmp, e))?;
    drop(f);
    fs::rename(&tmp, path).map_err(|e| fail("replace", path, e))
}
