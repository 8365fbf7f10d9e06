//! Shape errors are compile errors: every file in `tests/ui/` must fail to compile with the
//! message recorded in its `.stderr` snapshot (regenerate with `TRYBUILD=overwrite`).

#[test]
fn shape_errors_are_compile_errors() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
