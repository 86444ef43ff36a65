mod bench;

#[test]
fn t() {}
