//! wordcount: counts the words and lines of its arguments (joined with
//! spaces), or of a built-in sample when given none. No dependencies: the
//! binary needs only libc.

use std::process::ExitCode;

const SAMPLE: &str = "hello from\ndistill";

struct Counts {
    words: usize,
    lines: usize,
}

fn count(text: &str) -> Counts {
    Counts {
        words: text.split_whitespace().count(),
        lines: text.lines().count(),
    }
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("--version" | "-V") => {
            println!("wordcount {}", env!("CARGO_PKG_VERSION"));
            return ExitCode::SUCCESS;
        }
        Some("--help" | "-h") => {
            println!("usage: wordcount [--version] [TEXT...]");
            println!("Counts the words and lines of TEXT, or of a built-in sample.");
            return ExitCode::SUCCESS;
        }
        Some(flag) if flag.starts_with("--") => {
            eprintln!("wordcount: unknown option {flag} (try --help)");
            return ExitCode::from(2);
        }
        _ => {}
    }
    let text = if args.is_empty() {
        SAMPLE.to_string()
    } else {
        args.join(" ")
    };
    let c = count(&text);
    println!(
        "wordcount: {}, {}",
        plural(c.words, "word", "words"),
        plural(c.lines, "line", "lines")
    );
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_sample() {
        let c = count(SAMPLE);
        assert_eq!((c.words, c.lines), (3, 2));
    }

    #[test]
    fn counts_empty() {
        let c = count("");
        assert_eq!((c.words, c.lines), (0, 0));
    }
}
