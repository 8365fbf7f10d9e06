//! Shape errors are compile errors: every file in `tests/ui/` must fail to compile with the
//! message recorded in its `.stderr` snapshot (regenerate with `TRYBUILD=overwrite`).

#[test]
fn shape_errors_are_compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}

/// No diagnostic names a typenum type (the shape arithmetic's implementation): every recorded
/// message, label and help line speaks of sizes, shapes and constnet's own types.
#[test]
fn no_snapshot_mentions_typenum() {
    let mut checked = 0;
    for entry in std::fs::read_dir("tests/ui").expect("tests/ui exists") {
        let path = entry.expect("readable directory").path();
        if path.extension().is_some_and(|e| e == "stderr") {
            let text = std::fs::read_to_string(&path).expect("readable snapshot");
            assert!(
                !text.contains("typenum"),
                "{} names typenum",
                path.display()
            );
            checked += 1;
        }
    }
    assert!(checked >= 19, "only {checked} snapshots found");
}
