//! The paper's figures as experiments: a typed configuration in, [`data::FigureData`] out.
//! (Being written: see issue 4.)

pub mod data;
