//! The greeting shared by the workspace's two binaries.

use serde::Serialize;

/// A greeting for `name`, or for the world when it is empty.
pub fn greeting(name: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        "hello from distill".to_string()
    } else {
        format!("hello, {name}, from distill")
    }
}

#[derive(Serialize)]
struct Greeting<'a> {
    message: String,
    from: &'a str,
}

/// The greeting as a JSON object: `{"message":"...","from":"<from>"}`.
pub fn greeting_json(name: &str, from: &str) -> String {
    serde_json::to_string(&Greeting {
        message: greeting(name),
        from,
    })
    .expect("a struct of strings always serializes")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn greets() {
        assert_eq!(greeting(""), "hello from distill");
        assert_eq!(greeting("Ada"), "hello, Ada, from distill");
    }

    #[test]
    fn renders_json() {
        assert_eq!(
            greeting_json("", "api"),
            r#"{"message":"hello from distill","from":"api"}"#
        );
    }
}
