//! The painter's text: plain and rich (sub- and superscripts) labels, their widths, and
//! fitting a label into the room it has.

use super::rich;
use super::{backend_err, font, ipt, FigureError, Painter};
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontTransform, RGBColor, TextStyle};

impl<DB: DrawingBackend> Painter<'_, DB> {
    /// The width of one piece of text without markup.
    pub(super) fn plain_w(&self, text: &str, size: f64) -> Result<f64, FigureError> {
        let style = TextStyle::from(font(size));
        let (w, _) = self
            .area
            .estimate_text_size(text, &style)
            .map_err(backend_err)?;
        Ok(f64::from(w))
    }

    /// The width of a text with sub- and superscripts ([`rich`]).
    pub(super) fn text_w(&self, text: &str, size: f64) -> Result<f64, FigureError> {
        let mut w = 0.0;
        for piece in rich::pieces(text) {
            w += self.plain_w(&piece.text, size * piece.shift.scale())?;
        }
        Ok(w)
    }

    pub(super) fn plain_text(
        &self,
        text: &str,
        at: (f64, f64),
        size: f64,
        color: RGBColor,
        (h, v): (HPos, VPos),
        vertical: bool,
    ) -> Result<(), FigureError> {
        if text.is_empty() {
            return Ok(());
        }
        let mut style = TextStyle::from(font(size))
            .color(&color)
            .pos(Pos::new(h, v));
        if vertical {
            style = style.transform(FontTransform::Rotate270);
        }
        self.area
            .draw_text(text, &style, ipt(at))
            .map_err(backend_err)
    }

    /// Draws `text` with its sub- and superscripts ([`rich`]): one piece after another along
    /// the reading direction (upwards when `vertical`), each script smaller and with its
    /// baseline lowered or raised. Text without scripts is one plain text, as before.
    pub(super) fn text(
        &self,
        text: &str,
        at: (f64, f64),
        size: f64,
        color: RGBColor,
        (h, v): (HPos, VPos),
        vertical: bool,
    ) -> Result<(), FigureError> {
        let pieces = rich::pieces(text);
        if pieces.len() < 2 {
            return self.plain_text(text, at, size, color, (h, v), vertical);
        }
        let widths = pieces
            .iter()
            .map(|piece| self.plain_w(&piece.text, size * piece.shift.scale()))
            .collect::<Result<Vec<f64>, FigureError>>()?;
        let total: f64 = widths.iter().sum();
        let mut along = match h {
            HPos::Left => 0.0,
            HPos::Center => -total / 2.0,
            HPos::Right => -total,
        };
        // Where the anchor lies above the baseline, as a fraction of the size, for each vertical
        // anchor (close for every backend: ~0.75 em for top, ~0.3 for centre, ~−0.2 for bottom):
        // a smaller piece keeps the text's baseline with its anchor moved by the difference.
        let above_baseline = match v {
            VPos::Top => 0.75,
            VPos::Center => 0.3,
            VPos::Bottom => -0.2,
        };
        // Reading direction and "down" of the text on the page.
        let (advance, down) = if vertical {
            ((0.0, -1.0), (1.0, 0.0))
        } else {
            ((1.0, 0.0), (0.0, 1.0))
        };
        for (piece, w) in pieces.iter().zip(&widths) {
            let piece_size = size * piece.shift.scale();
            let lowered = piece.shift.drop() * size + above_baseline * (size - piece_size);
            let point = (
                at.0 + advance.0 * along + down.0 * lowered,
                at.1 + advance.1 * along + down.1 * lowered,
            );
            self.plain_text(
                &piece.text,
                point,
                piece_size,
                color,
                (HPos::Left, v),
                vertical,
            )?;
            along += w;
        }
        Ok(())
    }

    /// `label` broken at spaces into at most `max_lines` lines that each fit `max_w` at
    /// `size`, greedily, as text wraps (the first line as long as it can be); what is left after
    /// the last line joins it (to be shrunk or cut when drawn), and a single word wider than
    /// `max_w` is a line of its own. Shared by the legend and the axis descriptions.
    pub(super) fn wrap_lines(
        &self,
        label: &str,
        size: f64,
        max_w: f64,
        max_lines: usize,
    ) -> Result<Vec<String>, FigureError> {
        let mut lines = Vec::new();
        let mut current = String::new();
        for word in label.split(' ').filter(|word| !word.is_empty()) {
            let candidate = if current.is_empty() {
                word.to_string()
            } else {
                format!("{current} {word}")
            };
            let last_line = lines.len() + 1 >= max_lines;
            if current.is_empty() || last_line || self.text_w(&candidate, size)? <= max_w {
                current = candidate;
            } else {
                lines.push(std::mem::replace(&mut current, word.to_string()));
            }
        }
        if !current.is_empty() {
            lines.push(current);
        }
        Ok(lines)
    }

    /// An axis description as the lines it is drawn on: one if it fits `max_w` at 85% of
    /// `size`, else up to two ([`Painter::wrap_lines`]); none for an empty description.
    pub(super) fn wrap_axis_label(
        &self,
        label: &str,
        size: f64,
        max_w: f64,
    ) -> Result<Vec<String>, FigureError> {
        if label.is_empty() {
            return Ok(Vec::new());
        }
        if self.text_w(label, 0.85 * size)? <= max_w {
            return Ok(vec![label.to_string()]);
        }
        self.wrap_lines(label, size, max_w, 2)
    }

    /// `text` shrunk (down to `min_size`) and then shortened with "…" to fit `max_w`.
    pub(super) fn fit(
        &self,
        text: &str,
        size: f64,
        min_size: f64,
        max_w: f64,
    ) -> Result<(String, f64), FigureError> {
        let w = self.text_w(text, size)?;
        if w <= max_w {
            return Ok((text.to_string(), size));
        }
        let shrunk = size * max_w / w;
        if shrunk >= min_size {
            return Ok((text.to_string(), shrunk));
        }
        let chars: Vec<char> = text.chars().collect();
        let mut n = chars.len();
        while n > 0 {
            n -= 1;
            let t: String = chars[..n].iter().collect::<String>() + "…";
            if self.text_w(&t, min_size)? <= max_w {
                return Ok((t, min_size));
            }
        }
        Ok((String::new(), min_size))
    }
}
