//! Exports: SVG (everywhere), PNG (native only: bitmap backend + embedded font), tidy CSV.

use super::{backend_err, draw, style::role_name, FigureError, FigureStyle};
use crate::experiments::data::{FigureData, Role};
use plotters::prelude::{IntoDrawingArea, SVGBackend};
use std::fmt::Write as _;

/// Largest accepted side and area of an export, in pixels.
const MAX_SIDE: u32 = 1 << 16;
const MAX_PIXELS: u64 = 1 << 26;

fn check_size(width: u32, height: u32) -> Result<(), FigureError> {
    let ok = width > 0
        && height > 0
        && width <= MAX_SIDE
        && height <= MAX_SIDE
        && u64::from(width) * u64::from(height) <= MAX_PIXELS;
    if ok {
        Ok(())
    } else {
        Err(FigureError::InvalidSize { width, height })
    }
}

/// The figure as an SVG document of `width × height` pixels (text stays text).
///
/// # Errors
/// [`FigureError::InvalidSize`] for a zero or huge size; otherwise as [`draw`].
pub fn to_svg(
    data: &FigureData,
    width: u32,
    height: u32,
    style: &FigureStyle,
) -> Result<String, FigureError> {
    check_size(width, height)?;
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, (width, height)).into_drawing_area();
        draw(data, &root, style)?;
        root.present().map_err(backend_err)?;
    }
    Ok(out)
}

/// The figure as a PNG image (8-bit RGB) of `width × height` pixels, text rendered with the
/// embedded DejaVu Sans. Native builds only (the browser exports its canvas).
///
/// Plotters' bitmap backend draws without anti-aliasing, so images of up to 2²⁴ pixels are
/// drawn at twice the size (and twice the [`FigureStyle::scale`]) and averaged down 2 × 2:
/// smooth lines and text, the same layout.
///
/// # Errors
/// [`FigureError::InvalidSize`] for a zero or huge size, [`FigureError::Encode`] if PNG
/// encoding fails; otherwise as [`draw`].
#[cfg(not(target_arch = "wasm32"))]
pub fn to_png(
    data: &FigureData,
    width: u32,
    height: u32,
    style: &FigureStyle,
) -> Result<Vec<u8>, FigureError> {
    use plotters::backend::RGBPixel;
    use plotters::prelude::BitMapBackend;

    check_size(width, height)?;
    let factor: u32 = if u64::from(width) * u64::from(height) <= MAX_PIXELS / 4 {
        2
    } else {
        1
    };
    let (w, h) = (width * factor, height * factor);
    let style = style
        .clone()
        .with_scale(style.effective_scale() * f64::from(factor));
    let mut pixels = vec![0u8; w as usize * h as usize * 3];
    {
        let backend = BitMapBackend::<RGBPixel>::with_buffer_and_format(&mut pixels, (w, h))
            .map_err(|e| FigureError::Backend(e.to_string()))?;
        let root = backend.into_drawing_area();
        draw(data, &root, &style)?;
        root.present().map_err(backend_err)?;
    }
    let pixels = downsample(&pixels, (width, height), factor);
    let mut png_bytes = Vec::new();
    let encode = |e: png::EncodingError| FigureError::Encode(e.to_string());
    let mut encoder = png::Encoder::new(&mut png_bytes, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(encode)?;
    writer.write_image_data(&pixels).map_err(encode)?;
    writer.finish().map_err(encode)?;
    Ok(png_bytes)
}

/// Average `factor × factor` blocks of an RGB image into one pixel of a `width × height` one.
#[cfg(not(target_arch = "wasm32"))]
fn downsample(src: &[u8], (width, height): (u32, u32), factor: u32) -> Vec<u8> {
    if factor <= 1 {
        return src.to_vec();
    }
    let (w, f) = (width as usize, factor as usize);
    let src_w = w * f;
    let mut out = vec![0u8; w * height as usize * 3];
    for (i, px) in out.chunks_exact_mut(3).enumerate() {
        let (x, y) = (i % w, i / w);
        for (c, v) in px.iter_mut().enumerate() {
            let mut sum = 0u32;
            for dy in 0..f {
                let row = (y * f + dy) * src_w;
                for dx in 0..f {
                    sum += u32::from(src[3 * (row + x * f + dx) + c]);
                }
            }
            let n = (f * f) as u32;
            *v = ((sum + n / 2) / n) as u8;
        }
    }
    out
}

/// The figure's data as tidy CSV: a header `panel,series,role,x,y,stderr`, then one row per
/// point of every curve, error-bar series and scatter (curves and scatters have an empty
/// `stderr`). `panel` is the panel title (`panel N` if empty, `title (N)` if two panels share
/// it), `role` is [`role_name`]. Numbers are written in Rust's shortest round-trip form, so
/// they parse back exactly; text fields are quoted per RFC 4180 where needed. Lines end in `\n`.
/// Markers and shadings are annotations, not data, and are not exported.
pub fn to_csv(data: &FigureData) -> String {
    let rows = data_rows(data);
    // A heatmap's cells carry a third number: the `value` column exists only then.
    let with_values = rows.iter().any(|row| row.value.is_some());
    let mut out = String::from("panel,series,role,x,y,stderr");
    out.push_str(if with_values { ",value\n" } else { "\n" });
    for row in rows {
        let se = row.stderr.map(|v| v.to_string()).unwrap_or_default();
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "{},{},{},{},{},{se}",
            csv_field(&row.panel),
            csv_field(&row.series),
            role_name(row.role),
            row.x,
            row.y
        );
        if with_values {
            let value = row.value.map(|v| v.to_string()).unwrap_or_default();
            let _ = write!(out, ",{value}");
        }
        out.push('\n');
    }
    out
}

/// A figure's own table ([`crate::experiments::data::Table`], the theory explorer) as RFC 4180
/// CSV a script can read: when the table lists its numbers ([`Table::values`]), one number per
/// line, `row,quantity,i,j,value` (i, j 1-based for a matrix entry, empty for a scalar; the value
/// in shortest round-trip form); otherwise the header row, then one row per table row.
///
/// [`Table::values`]: crate::experiments::data::Table::values
pub fn table_csv(table: &crate::experiments::data::Table) -> String {
    let mut out = String::new();
    if !table.values.is_empty() {
        out.push_str("row,quantity,i,j,value\n");
        for value in &table.values {
            let (i, j) = value
                .entry
                .map_or((String::new(), String::new()), |(i, j)| {
                    (i.to_string(), j.to_string())
                });
            let _ = writeln!(
                out,
                "{},{},{i},{j},{}",
                csv_field(&value.row),
                csv_field(&value.quantity),
                crate::config::format_number(value.value)
            );
        }
        return out;
    }
    for row in std::iter::once(&table.header).chain(&table.rows) {
        let cells: Vec<String> = row.iter().map(|cell| csv_field(cell)).collect();
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// One data point of a figure, as [`to_csv`] writes it and the page's data table shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct DataRow {
    /// The panel's name (its title, made unique).
    pub panel: String,
    /// The series' legend text.
    pub series: String,
    /// The series' role.
    pub role: Role,
    /// Abscissa.
    pub x: f64,
    /// Ordinate.
    pub y: f64,
    /// Standard error (simulated points only).
    pub stderr: Option<f64>,
    /// A heatmap cell's value at (x, y) (`None`: not a cell, or a diverged cell, whose series
    /// says so).
    pub value: Option<f64>,
}

/// Every data point of the figure, panel by panel: curves, then simulated points, then scatters.
pub fn data_rows(data: &FigureData) -> Vec<DataRow> {
    let names = panel_names(data);
    let mut rows = Vec::new();
    for (panel, name) in data.panels.iter().zip(&names) {
        let mut row = |series: &str, role, x, y, stderr| {
            rows.push(DataRow {
                panel: name.clone(),
                series: series.to_string(),
                role,
                x,
                y,
                stderr,
                value: None,
            });
        };
        for c in &panel.curves {
            for &(x, y) in &c.points {
                row(&c.label, c.role, x, y, None);
            }
        }
        for s in &panel.points {
            for p in &s.points {
                row(&s.label, s.role, p.x, p.y, Some(p.stderr));
            }
        }
        for s in &panel.scatters {
            for &(x, y) in &s.points {
                row(&s.label, s.role, x, y, None);
            }
        }
        if let Some(heatmap) = &panel.heatmap {
            let missing = format!("{} ({})", heatmap.label, heatmap.missing_label);
            for cell_row in 0..heatmap.rows {
                for column in 0..heatmap.columns {
                    let (x, y) = heatmap.cell_center(column, cell_row);
                    let value = heatmap.value(column, cell_row);
                    rows.push(DataRow {
                        panel: name.clone(),
                        series: if value.is_some() {
                            heatmap.label.clone()
                        } else {
                            missing.clone()
                        },
                        role: Role::Reference,
                        x,
                        y,
                        stderr: None,
                        value,
                    });
                }
            }
        }
    }
    rows
}

fn panel_names(data: &FigureData) -> Vec<String> {
    data.panels
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let t = p.title.trim();
            if t.is_empty() {
                format!("panel {}", i + 1)
            } else if data.panels.iter().filter(|q| q.title.trim() == t).count() > 1 {
                format!("{t} ({})", i + 1)
            } else {
                t.to_string()
            }
        })
        .collect()
}

/// RFC 4180: a field with a comma, a double quote or a line break is enclosed in double quotes,
/// and its double quotes are doubled.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_are_quoted_only_when_needed() {
        assert_eq!(csv_field("discrete theory"), "discrete theory");
        assert_eq!(csv_field("a, b"), "\"a, b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("two\nlines"), "\"two\nlines\"");
    }

    #[test]
    #[cfg(not(target_arch = "wasm32"))]
    fn downsampling_averages_blocks() {
        // 4 × 2 image → 2 × 1: a black/white block averages to grey.
        let mut src = vec![255u8; 4 * 2 * 3];
        for (x, y) in [(0, 0), (1, 1)] {
            let i = 3 * (y * 4 + x);
            src[i..i + 3].copy_from_slice(&[0, 0, 0]);
        }
        let out = downsample(&src, (2, 1), 2);
        assert_eq!(out, [128, 128, 128, 255, 255, 255]);
        assert_eq!(downsample(&src, (4, 2), 1), src);
    }

    #[test]
    fn sizes_are_checked() {
        assert!(check_size(0, 10).is_err());
        assert!(check_size(10, 0).is_err());
        assert!(check_size(MAX_SIDE + 1, 1).is_err());
        assert!(check_size(MAX_SIDE, MAX_SIDE).is_err());
        assert!(check_size(1, 1).is_ok());
        assert!(check_size(1920, 1080).is_ok());
    }
}
