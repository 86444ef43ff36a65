mod eval;
#[test]
fn t() {}
