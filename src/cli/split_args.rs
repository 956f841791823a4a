//! The flags that split a study (`aimc sweep`, `aimc sensitivity`) into shards and jobs.
use aimc::sweep::Shard;
use aimc::sweep::jobs::jobs;
use clap::Args;

/// How a study's work is split: one shard of several, and jobs on this machine.
#[derive(Debug, Args)]
pub struct SplitArgs {
    /// Do only the I-th of N parts of the study (its units, a sweep's (device, repeat) pairs or
    /// a sensitivity study's (value, repeat) pairs in order, unit u in part (u mod N) + 1) and
    /// write them as shard-I-of-N.json into the report directory; `aimc report --merge DIR`
    /// then writes the report of the whole study. A shard already there is kept.
    #[arg(long, value_name = "I/N")]
    pub shard: Option<String>,
    /// With --shard: run the shard again even if its file is there.
    #[arg(long, requires = "shard")]
    pub force: bool,
    /// Evaluations run at once, each on its own copy of the programmed network (results
    /// identical to one job) [default: the cores this machine has].
    #[arg(long, value_name = "N")]
    pub jobs: Option<usize>,
}

impl SplitArgs {
    /// The shard asked for, checked.
    pub fn shard(&self) -> aimc::error::Result<Option<Shard>> {
        self.shard.as_deref().map(Shard::parse).transpose()
    }

    /// The jobs asked for (at least 1), or the machine's cores.
    pub fn jobs(&self) -> aimc::error::Result<usize> {
        jobs(self.jobs)
    }
}
