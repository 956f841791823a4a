//! Progress bars of long work (training epochs, sweeps, the demo's stages), drawn on stderr:
//! `<prefix> [=====>   ] pos/len message (elapsed<eta)`.

use indicatif::{ProgressBar, ProgressStyle};

/// A bar of `len` steps, hidden unless `show`.
pub fn progress_bar(prefix: &str, len: u64, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg} ({elapsed}<{eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(prefix.to_string());
    bar
}

/// The callback of work that reports each finished step with a message: advances `bar` by one
/// and shows the message.
pub fn step_callback(bar: &ProgressBar) -> impl FnMut(&str) + '_ {
    move |msg: &str| {
        bar.inc(1);
        bar.set_message(msg.to_string());
    }
}
