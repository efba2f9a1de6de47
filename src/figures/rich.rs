//! A small rich-text layer for the drawn text (titles, axis labels, legends, markers): `_` and
//! `^` write a subscript or superscript, of one run of letters and digits (`L_c`, `k_min`,
//! `(VᵀΣV)_ii`, `E_d(t)`) or of a braced group (`x_{a+b}`, `e^{−2λKt}`). The drawing code lays
//! the pieces out itself — each piece a text of its own, scripts smaller and shifted off the
//! baseline — so every backend (canvas, SVG, PNG) draws the same, without relying on a backend's
//! markup. Text without `_` or `^` is one piece, drawn exactly as before.

/// Where a piece sits relative to the baseline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Shift {
    /// On the baseline, at the text's size.
    Base,
    /// A subscript: smaller, lowered.
    Sub,
    /// A superscript: smaller, raised.
    Sup,
}

impl Shift {
    /// The piece's font size as a fraction of the text's.
    pub fn scale(self) -> f64 {
        match self {
            Shift::Base => 1.0,
            Shift::Sub | Shift::Sup => 0.72,
        }
    }

    /// How far the piece's baseline lies below the text's, as a fraction of the text's size
    /// (negative: above).
    pub fn drop(self) -> f64 {
        match self {
            Shift::Base => 0.0,
            Shift::Sub => 0.22,
            Shift::Sup => -0.36,
        }
    }
}

/// One piece of a text: its characters and where it sits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Piece {
    /// The characters (without markup).
    pub text: String,
    /// Baseline, subscript or superscript.
    pub shift: Shift,
}

/// Characters a script without braces takes: ASCII letters and digits, Greek letters.
fn script_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || ('α'..='ω').contains(&c) || ('Α'..='Ω').contains(&c)
}

/// Splits `text` into pieces. A `_` or `^` starts a script only after another character and
/// before a braced group or a run of letters and digits; anywhere else it is an ordinary
/// character. An unclosed brace takes the rest of the text.
///
/// # Example
/// ```
/// use sgd_playground::figures::rich::{pieces, Shift};
/// let p = pieces("L/L_c");
/// assert_eq!(p.len(), 2);
/// assert_eq!((p[0].text.as_str(), p[0].shift), ("L/L", Shift::Base));
/// assert_eq!((p[1].text.as_str(), p[1].shift), ("c", Shift::Sub));
/// ```
pub fn pieces(text: &str) -> Vec<Piece> {
    let chars: Vec<char> = text.chars().collect();
    let mut out: Vec<Piece> = Vec::new();
    let mut base = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let shift = match c {
            '_' => Shift::Sub,
            '^' => Shift::Sup,
            _ => Shift::Base,
        };
        let after_text = i > 0 && !chars[i - 1].is_whitespace();
        if shift != Shift::Base && after_text {
            let (script, next) = match chars.get(i + 1) {
                Some('{') => {
                    let end = chars[i + 2..]
                        .iter()
                        .position(|&c| c == '}')
                        .map_or(chars.len(), |p| i + 2 + p);
                    (
                        chars[i + 2..end].iter().collect::<String>(),
                        (end + 1).min(chars.len()),
                    )
                }
                Some(&c) if script_char(c) => {
                    let end = chars[i + 1..]
                        .iter()
                        .position(|&c| !script_char(c))
                        .map_or(chars.len(), |p| i + 1 + p);
                    (chars[i + 1..end].iter().collect::<String>(), end)
                }
                _ => (String::new(), i),
            };
            if !script.is_empty() {
                if !base.is_empty() {
                    out.push(Piece {
                        text: std::mem::take(&mut base),
                        shift: Shift::Base,
                    });
                }
                out.push(Piece {
                    text: script,
                    shift,
                });
                i = next;
                continue;
            }
        }
        base.push(c);
        i += 1;
    }
    if !base.is_empty() || out.is_empty() {
        out.push(Piece {
            text: base,
            shift: Shift::Base,
        });
    }
    out
}

/// Whether `text` has any script (so it needs more than one piece).
pub fn has_scripts(text: &str) -> bool {
    pieces(text).iter().any(|piece| piece.shift != Shift::Base)
}

/// `text` without its markup, scripts written inline (`L/L_c` → `L/Lc`): what a reader of plain
/// text (the canvas's text alternative) gets.
pub fn plain(text: &str) -> String {
    pieces(text).into_iter().map(|piece| piece.text).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> Vec<(String, Shift)> {
        pieces(text)
            .into_iter()
            .map(|piece| (piece.text, piece.shift))
            .collect()
    }

    #[test]
    fn scripts_take_a_run_or_a_group() {
        use Shift::{Base, Sub, Sup};
        let s = |t: &str, shift| (t.to_string(), shift);
        assert_eq!(
            shape("λrk_a = 2"),
            [s("λrk", Base), s("a", Sub), s(" = 2", Base)]
        );
        assert_eq!(
            shape("γ/|k_b|"),
            [s("γ/|k", Base), s("b", Sub), s("|", Base)]
        );
        assert_eq!(shape("(VᵀΣV)_ii"), [s("(VᵀΣV)", Base), s("ii", Sub)]);
        assert_eq!(
            shape("λ*_c = 0.1"),
            [s("λ*", Base), s("c", Sub), s(" = 0.1", Base)]
        );
        assert_eq!(shape("E_d(t)"), [s("E", Base), s("d", Sub), s("(t)", Base)]);
        assert_eq!(
            shape("e^{−2t} x"),
            [s("e", Base), s("−2t", Sup), s(" x", Base)]
        );
        assert_eq!(shape("k^2"), [s("k", Base), s("2", Sup)]);
    }

    #[test]
    fn a_lone_marker_is_an_ordinary_character() {
        for text in ["_x", "a _b", "a_", "a_ b", "a^+", ""] {
            assert_eq!(plain(text), text, "{text}");
            assert!(!has_scripts(text), "{text}");
        }
        // An unclosed group takes the rest.
        assert_eq!(
            shape("a_{bc"),
            [("a".into(), Shift::Base), ("bc".into(), Shift::Sub)]
        );
        assert_eq!(plain("L/L_c"), "L/Lc");
    }
}
