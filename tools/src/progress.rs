//! Progress of a run on stderr: an indicatif bar on a terminal, else one line per shard.

use std::io::IsTerminal;
use std::time::Duration;

/// Progress output on stderr: an indicatif bar on a terminal, else one line per shard.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    total: usize,
}

impl Progress {
    pub fn new(total: usize) -> Progress {
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = indicatif::ProgressBar::new(total as u64);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{elapsed_precise} [{bar:30.cyan/blue}] {pos}/{len} ETA {eta} {wide_msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
                .progress_chars("=> "),
            );
            b.enable_steady_tick(Duration::from_millis(200));
            b
        });
        Progress { bar, total }
    }

    pub fn running(&self, running: &[String]) {
        if let Some(b) = &self.bar {
            b.set_message(format!("running: {}", running.join(" ")));
        }
    }

    pub fn finished(&self, n: usize, line: &str, failed: bool, running: &[String]) {
        match &self.bar {
            Some(b) => {
                if failed {
                    b.println(line);
                }
                b.set_position(n as u64);
                self.running(running);
            }
            None => {
                let w = self.total.to_string().len();
                eprintln!("[{n:>w$}/{}] {line}", self.total);
            }
        }
    }

    pub fn done(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
