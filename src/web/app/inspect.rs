//! What tests and tools read of the mounted page: cards, their configuration, frames and
//! exports.

use wasm_bindgen::prelude::*;
use web_sys::Element;

use super::{png_data_url, svg_text, App};
use crate::figures::to_csv;
use crate::web::card::Card;

impl App {
    /// Number of cards.
    pub fn card_count(&self) -> usize {
        self.state.borrow().cards.len()
    }

    /// A card's figure element (tests).
    pub fn card_element(&self, index: usize) -> Option<Element> {
        self.state
            .borrow()
            .cards
            .get(index)
            .map(|card| card.elements.figure.clone())
    }

    /// Where a card's panels were drawn (canvas device pixels) and which data they show (tests,
    /// tools).
    pub fn plot_frames(&self, index: usize) -> Vec<crate::figures::PlotFrame> {
        self.state
            .borrow()
            .cards
            .get(index)
            .map(|card| card.frames().to_vec())
            .unwrap_or_default()
    }

    /// A card's configuration text (tests).
    pub fn card_config(&self, index: usize) -> Option<String> {
        self.state
            .borrow()
            .cards
            .get(index)
            .map(|card| card.config.to_text())
    }

    /// Whether a card's simulation has finished and its last points are drawn (tests).
    pub fn simulation_done(&self, index: usize) -> bool {
        self.state
            .borrow()
            .cards
            .get(index)
            .is_some_and(Card::simulation_done)
    }

    /// A card's PNG export as a data URL (tests).
    pub fn png_of(&self, index: usize) -> Result<String, JsValue> {
        let state = self.state.borrow();
        let card = state
            .cards
            .get(index)
            .ok_or_else(|| JsValue::from_str("no such card"))?;
        png_data_url(card, state.dark)
    }

    /// A card's SVG export (tests).
    pub fn svg_of(&self, index: usize) -> Result<String, JsValue> {
        let state = self.state.borrow();
        let card = state
            .cards
            .get(index)
            .ok_or_else(|| JsValue::from_str("no such card"))?;
        svg_text(card, state.dark)
    }

    /// A card's CSV export (tests).
    pub fn csv_of(&self, index: usize) -> Option<String> {
        self.state
            .borrow()
            .cards
            .get(index)
            .and_then(|card| card.data().map(to_csv))
    }

    /// Milliseconds from navigation to every theory curve drawn.
    pub fn theory_drawn_ms(&self) -> f64 {
        self.state.borrow().theory_drawn_ms
    }
}
