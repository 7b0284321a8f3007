//! Label matchers as the storage sees them.
//!
//! Regular expressions never reach Rust: the TypeScript side resolves `=~` / `!~` to the set of
//! label values that match (from the label-values API) and sends `In` / `NotIn`.

/// One condition on a label. A series without the label behaves as if it had it with value "".
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Matcher {
    Equal { name: String, value: String },
    NotEqual { name: String, value: String },
    /// The value is one of `values` (a resolved `=~`).
    In { name: String, values: Vec<String> },
    /// The value is none of `values` (a resolved `!~`).
    NotIn { name: String, values: Vec<String> },
}

impl Matcher {
    pub fn name(&self) -> &str {
        match self {
            Matcher::Equal { name, .. }
            | Matcher::NotEqual { name, .. }
            | Matcher::In { name, .. }
            | Matcher::NotIn { name, .. } => name,
        }
    }

    /// Whether a label value (`""` for an absent label) satisfies the matcher.
    pub fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Equal { value: v, .. } => value == v,
            Matcher::NotEqual { value: v, .. } => value != v,
            Matcher::In { values, .. } => values.iter().any(|v| v == value),
            Matcher::NotIn { values, .. } => !values.iter().any(|v| v == value),
        }
    }

    /// Whether a series lacking the label is selected. Selections need at least one matcher for
    /// which this is false, or they would select every series.
    pub fn matches_empty(&self) -> bool {
        self.matches("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_value_semantics() {
        let eq_empty = Matcher::Equal { name: "a".into(), value: String::new() };
        assert!(eq_empty.matches_empty());
        let ne_empty = Matcher::NotEqual { name: "a".into(), value: String::new() };
        assert!(!ne_empty.matches_empty());
        let in_set = Matcher::In { name: "a".into(), values: vec!["x".into(), String::new()] };
        assert!(in_set.matches_empty() && in_set.matches("x") && !in_set.matches("y"));
        let not_in = Matcher::NotIn { name: "a".into(), values: vec!["x".into()] };
        assert!(not_in.matches_empty() && !not_in.matches("x"));
    }
}
