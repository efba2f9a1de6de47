//! A card's text beside its plot: the figure's notes and table, and the data table ("Show
//! data"), all as text-only DOM.

use wasm_bindgen::prelude::*;

use super::{set_hidden, Card};
use crate::playground::describe::{table, MAX_TABLE_ROWS};
use crate::web::dom::child;

impl Card {
    /// Puts the figure's notes and table in the page when they changed (text only: nothing of
    /// a figure is ever parsed as HTML).
    pub(super) fn show_extras(&mut self) -> Result<(), JsValue> {
        let (notes, table) = match &self.data {
            Some(data) => (data.notes.clone(), data.table.clone()),
            None => (Vec::new(), None),
        };
        if self.shown_extras.as_ref() == Some(&(notes.clone(), table.clone())) {
            return Ok(());
        }
        let holder = &self.elements.notes;
        holder.set_text_content(None);
        for note in &notes {
            child(holder, "p", "note", note)?;
        }
        set_hidden(holder, notes.is_empty())?;
        let holder = &self.elements.numbers;
        holder.set_text_content(None);
        if let Some(table) = &table {
            let element = child(holder, "table", "", "")?;
            child(&element, "caption", "", &table.caption)?;
            let head = child(&element, "thead", "", "")?;
            let tr = child(&head, "tr", "", "")?;
            for name in &table.header {
                let th = child(&tr, "th", "", name)?;
                th.set_attribute("scope", "col")?;
            }
            let body = child(&element, "tbody", "", "")?;
            for (index, row) in table.rows.iter().enumerate() {
                let tr = child(&body, "tr", "", "")?;
                for (column, cell) in row.iter().enumerate() {
                    if column == 0 {
                        let th = child(&tr, "th", "", cell)?;
                        th.set_attribute("scope", "row")?;
                        continue;
                    }
                    let detail = table
                        .details
                        .iter()
                        .find(|d| d.row == index && d.column == column);
                    match detail {
                        // The full matrix behind its eigenvalues, one click away.
                        Some(detail) => {
                            let td = child(&tr, "td", "", "")?;
                            let details = child(&td, "details", "", "")?;
                            child(&details, "summary", "", cell)?;
                            child(&details, "pre", "", &detail.text)?;
                        }
                        None => {
                            child(&tr, "td", "", cell)?;
                        }
                    }
                }
            }
        }
        set_hidden(holder, table.is_none())?;
        self.shown_extras = Some((notes, table));
        Ok(())
    }

    /// Shows or hides the data table.
    pub fn toggle_data(&mut self) -> Result<(), JsValue> {
        self.data_open = !self.data_open;
        if let Some(button) = &self.elements.data_toggle {
            button.set_text_content(Some(if self.data_open {
                "Hide data"
            } else {
                "Show data"
            }));
            button.set_attribute(
                "aria-expanded",
                if self.data_open { "true" } else { "false" },
            )?;
        }
        if self.data_open {
            self.fill_table()?;
            self.elements.data.remove_attribute("hidden")?;
        } else {
            self.elements.data.set_attribute("hidden", "")?;
            self.elements.data.set_text_content(None);
            self.data_all = false;
            if let Some(button) = &self.elements.data_all {
                button.set_attribute("hidden", "")?;
            }
        }
        Ok(())
    }

    /// Shows every row of the open data table.
    pub fn show_all_data(&mut self) -> Result<(), JsValue> {
        self.data_all = true;
        if self.data_open {
            self.fill_table()?;
        }
        Ok(())
    }

    pub(super) fn fill_table(&self) -> Result<(), JsValue> {
        let holder = &self.elements.data;
        holder.set_text_content(None);
        let Some(data) = &self.data else {
            return Ok(());
        };
        let limit = (!self.data_all).then_some(MAX_TABLE_ROWS);
        let (header, rows, total) = table(data, limit);
        let cut = rows.len() < total;
        if let Some(button) = &self.elements.data_all {
            button.set_text_content(Some(&format!("Show all {total} rows")));
            set_hidden(button, !cut)?;
        }
        let table = child(holder, "table", "", "")?;
        let caption = if cut {
            format!(
                "Data of {}: simulated points first, then theory (first {} of {total} rows; \
                 \"Show all {total} rows\" or the CSV export has all)",
                self.id,
                rows.len()
            )
        } else {
            format!(
                "Data of {}: simulated points first, then theory ({total} rows)",
                self.id
            )
        };
        child(&table, "caption", "", &caption)?;
        let head = child(&table, "thead", "", "")?;
        let tr = child(&head, "tr", "", "")?;
        for name in header {
            let th = child(&tr, "th", "", name)?;
            th.set_attribute("scope", "col")?;
        }
        let body = child(&table, "tbody", "", "")?;
        for row in rows {
            let tr = child(&body, "tr", "", "")?;
            for cell in row {
                child(&tr, "td", "", &cell)?;
            }
        }
        Ok(())
    }
}
