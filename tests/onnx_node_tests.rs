//! The reader against the ONNX project's own backend node tests (`aimc data fetch
//! onnx-node-tests`, the 1,282 tests of the pinned onnx 1.16.2 wheel; skipped with a message when
//! absent, unless `AIMC_REQUIRE_DATA=1`): every model reads, or is refused for an opset older
//! than 7 or for an operator domain other than the default one; every model's constants fold
//! without error. (Running the graphs against the expected outputs comes with the executor.)

mod common;

use aimc::onnx::fold::fold_constants;
use aimc::onnx::read_model;

#[test]
fn every_node_test_model_reads_or_is_refused_for_its_opset_or_domain() {
    let Some(dir) = common::fetched_set("onnx-node-tests", "test_relu/model.onnx") else {
        return;
    };
    let (mut read, mut refused) = (0, Vec::new());
    let mut tests: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    tests.sort();
    for test in &tests {
        let path = test.join("model.onnx");
        match read_model(&path) {
            Ok(model) => {
                fold_constants(&model).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
                read += 1;
            }
            Err(e) => {
                let e = e.to_string();
                assert!(
                    e.contains("opset") || e.contains("domain"),
                    "{}: {e}",
                    path.display()
                );
                refused.push(e);
            }
        }
    }
    assert_eq!(tests.len(), 1282);
    // 37 use opsets 1 to 6 or only other domains (training, ML).
    assert_eq!(refused.len(), 37, "{refused:#?}");
    assert_eq!(read, 1245);
}
