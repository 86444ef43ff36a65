mod formats;

#[test]
fn t() {}
