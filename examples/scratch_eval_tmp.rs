// TEMPORARY scratch driver; deleted before hand-off.
fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args[1] == "dates" {
        let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&args[2]).unwrap()).unwrap();
        let (mut ok, mut n) = (0, 0);
        for case in v.as_array().unwrap() {
            n += 1;
            let input = case["input_value"].as_str().unwrap();
            let got = gleaner::parse::parse_date(input).map(|d| d.format("%Y-%m-%d %H:%M:%S").to_string());
            let exp = case["expected_value"].as_array().map(|a| format!("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", a[0].as_i64().unwrap(), a[1].as_i64().unwrap(), a[2].as_i64().unwrap(), a[3].as_i64().unwrap(), a[4].as_i64().unwrap(), a[5].as_i64().unwrap()));
            if got == exp { ok += 1 } else { println!("MISS {:?} got {:?} exp {:?}", input, got, exp) }
        }
        println!("dates {ok}/{n}");
        return;
    }
    let report = gleaner::eval::feed_corpus(std::path::Path::new(&args[2]));
    if args[1] == "json" { println!("{}", serde_json::to_string_pretty(&report).unwrap()); } else { println!("{report}"); }
}
